"""Serve an agent's ``fs/*`` and ``terminal/*`` requests ourselves, through the gate.

Every request becomes a ``ToolRequest`` for the agent's role and workspace and goes to
``AuthGate.authorize`` (which records the decision). A refusal is a JSON-RPC error carrying the
reason. An allowed write or command is journaled (:mod:`agents.backends.journal`): a durable
``tool.intent`` before it happens and a ``tool.result`` after, so a crash in between leaves a
visible trace. A request that
carries out a permission request already decided (``permits``, :mod:`agents.backends.correlation`)
rides on that decision instead of being asked again.

The side effects — reading, diffing and writing a file, finding and starting a program — are
methods of their own: a re-drive (:mod:`agents.redrive`) answers them from the log while every
decision still goes through the code here.
"""

from __future__ import annotations

import asyncio
import itertools
import shlex
import shutil
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from acp import RequestError

from agents.auth.ceiling import Ceiling
from agents.auth.gate import AuthGate, Authorization, Precedent, ToolCall
from agents.auth.requests import ToolKind, ToolRequest
from agents.backends.correlation import Permits
from agents.backends.effects import (
    absolute,
    command_argv,
    gated_line,
    proposed_diff,
    read_lines,
    write_file,
)
from agents.backends.journal import ToolJournal
from agents.backends.terminals import DEFAULT_OUTPUT_LIMIT, Terminal
from agents.backends.usage import Spending
from sessions.schema.base import JsonObject
from sessions.store.event_store import EventStore

DENIED = -32010
"""JSON-RPC error code of a tool call the policy (or a human) refused; ACP defines none."""


class ActionLog(Protocol):
    """Told when an allowed write or command runs: what drift detection explains changes by."""

    def began(self, path: Path | None) -> int:
        """A write of ``path`` (None: a command) starts; returns a token for :meth:`ended`."""

    def ended(self, token: int) -> None:
        """The write returned, or the command exited."""


Wrap = Callable[[Sequence[str], Path], list[str]]
"""A command's argv and working directory → the argv to execute (the agent's sandbox)."""


class ToolExecutor:
    """Runs one agent's file and terminal requests, gated and journaled.

    ``wrap`` confines each command the way the agent itself is confined; ``actions`` hears of
    every allowed write and command (drift detection).
    """

    def __init__(
        self,
        *,
        session_id: str,
        agent_id: str,
        role: str,
        workspace: Path,
        store: EventStore,
        gate: AuthGate,
        env: Mapping[str, str],
        ceiling: Ceiling | None = None,
        secret_vars: frozenset[str] = frozenset(),
        wrap: Wrap | None = None,
        actions: ActionLog | None = None,
        spending: Spending | None = None,
    ) -> None:
        self.session_id = session_id
        self.agent_id = agent_id
        self.role = role
        self.workspace = workspace.resolve()
        self._gate = gate
        self._env = dict(env)
        self._ceiling = ceiling
        self._secret_vars = secret_vars
        self._terminals: dict[str, Terminal] = {}
        self._ids = itertools.count(1)
        self.permits = Permits()
        """The turn's decided permission requests, which matching requests here ride on."""
        self._wrap = wrap
        self._actions = actions
        self._spending = spending
        self.tool_journal = ToolJournal(store, session_id=session_id, agent_id=agent_id)
        """Where this agent's allowed writes and commands are journaled."""

    def request(
        self,
        tool: ToolKind,
        *,
        command: str | None = None,
        paths: tuple[str, ...] = (),
        url: str | None = None,
        cwd: Path | None = None,
    ) -> ToolRequest:
        """A ``ToolRequest`` for this agent's role and workspace."""
        return ToolRequest(
            tool=tool,
            role=self.role,
            workspace=self.workspace,
            command=command,
            paths=paths,
            url=url,
            cwd=cwd,
        )

    async def authorize(
        self,
        call_id: str,
        request: ToolRequest,
        summary: str,
        *,
        diff: str | None = None,
        raw_input: JsonObject | None = None,
        rides_on: Precedent | None = None,
    ) -> Authorization:
        """Ask the gate; it records the decision (and any human's answer). Past the session's
        budget the call waits for a person first, and is refused if they stop the session."""
        if self._spending is not None and rides_on is None:  # a ride was held at its request
            stopped = await self._spending.hold(agent_id=self.agent_id, role=self.role)
            if stopped is not None:
                raise RequestError(DENIED, stopped, {"callId": call_id})
        call = ToolCall(
            session_id=self.session_id,
            agent_id=self.agent_id,
            call_id=call_id,
            request=request,
            summary=summary,
            ceiling=self._ceiling,
            diff=diff,
            secret_vars=self._secret_vars,
            raw_input=raw_input,
            rides_on=rides_on,
        )
        return await self._gate.authorize(call)

    async def _require(
        self,
        call_id: str,
        request: ToolRequest,
        summary: str,
        *,
        diff: str | None = None,
        tool_call_id: str | None = None,
        content: str | None = None,
    ) -> Authorization:
        """Allowed, or a JSON-RPC error for the agent: by the permission decision this request
        carries out if it matches one, else decided (and perhaps asked) on its own."""
        precedent = self.permits.match(request, tool_call_id=tool_call_id, content=content)
        auth = await self.authorize(call_id, request, summary, diff=diff, rides_on=precedent)
        if not auth.allowed:
            raise RequestError(DENIED, f"refused by policy: {auth.reason}", {"callId": call_id})
        return auth

    def _call_id(self, kind: str) -> str:
        return f"{kind}-{uuid.uuid4().hex[:12]}"

    # -- fs/* ------------------------------------------------------------------------------

    async def read_text_file(
        self, path: str, line: int | None, limit: int | None, *, tool_call_id: str | None = None
    ) -> str:
        """``fs/read_text_file``: gated as a read of the resolved path."""
        target = absolute(path)
        call_id = self._call_id("read")
        request = self.request(ToolKind.READ, paths=(str(target),))
        await self._require(call_id, request, f"read {target}", tool_call_id=tool_call_id)
        return await self._read(target, line, limit)

    async def _read(self, target: Path, line: int | None, limit: int | None) -> str:
        """The file's text: the side effect of a read (a re-drive answers from the log)."""
        try:
            return await asyncio.to_thread(read_lines, target, line, limit)
        except FileNotFoundError:
            raise RequestError.resource_not_found(str(target)) from None
        except OSError as exc:
            raise RequestError.internal_error({"path": str(target), "error": str(exc)}) from None

    async def write_text_file(
        self, path: str, content: str, *, tool_call_id: str | None = None
    ) -> None:
        """``fs/write_text_file``: gated as an edit, journaled, then written."""
        target = absolute(path)
        call_id = self._call_id("write")
        request = self.request(ToolKind.EDIT, paths=(str(target),))
        diff = await self._proposed_diff(target, content)
        auth = await self._require(
            call_id,
            request,
            f"write {target}",
            diff=diff,
            tool_call_id=tool_call_id,
            content=content,
        )
        key = await self.tool_journal.intent(
            call_id, "write", str(target), path=str(target), approval_id=auth.approval_id
        )
        started = time.perf_counter()
        token = self._actions.began(target) if self._actions is not None else 0
        try:
            await self._write(target, content)
        except OSError as exc:
            await self.tool_journal.failed(call_id, key, str(exc))
            raise RequestError.internal_error({"path": str(target), "error": str(exc)}) from None
        finally:
            if self._actions is not None:
                self._actions.ended(token)
        await self.tool_journal.written(call_id, key, started=started)

    async def _proposed_diff(self, target: Path, content: str) -> str:
        """What a write would change, shown with an approval (reads the file as it is now)."""
        return await asyncio.to_thread(proposed_diff, target, content)

    async def _write(self, target: Path, content: str) -> None:
        """The side effect of a write; raises ``OSError`` when it fails."""
        await asyncio.to_thread(write_file, target, content)

    # -- terminal/* ------------------------------------------------------------------------

    async def create_terminal(
        self,
        command: str,
        args: Sequence[str],
        env: Mapping[str, str],
        *,
        cwd: str | None,
        output_byte_limit: int | None,
        tool_call_id: str | None = None,
    ) -> str:
        """``terminal/create``: gated as an execute in ``cwd``, journaled, then started."""
        workdir = self.workspace if cwd is None else absolute(cwd)
        if not workdir.is_relative_to(self.workspace):
            raise RequestError(DENIED, f"refused: cwd {workdir} is outside the workspace")
        argv = command_argv(command, args)
        gated = gated_line(command, args, env)
        call_id = self._call_id("exec")
        request = self.request(ToolKind.EXECUTE, command=gated, cwd=workdir)
        auth = await self._require(call_id, request, f"run {gated}", tool_call_id=tool_call_id)
        run_env = {**self._env, **env}
        program = self._which(argv[0], run_env.get("PATH"))
        if program is None:
            raise RequestError.invalid_params({"command": argv[0], "reason": "not found on PATH"})
        key = await self.tool_journal.intent(
            call_id,
            "execute",
            shlex.join(argv),
            argv=argv,
            cwd=str(workdir),
            approval_id=auth.approval_id,
        )
        limit = DEFAULT_OUTPUT_LIMIT if output_byte_limit is None else output_byte_limit
        return await self._launch(
            call_id, key, program, argv=argv, workdir=workdir, run_env=run_env, limit=limit
        )

    def _which(self, command: str, path: str | None) -> str | None:
        """The program a command names, looked up on ``path``; None when there is none."""
        return shutil.which(command, path=path)

    async def _launch(
        self,
        call_id: str,
        key: str,
        program: str,
        *,
        argv: list[str],
        workdir: Path,
        run_env: Mapping[str, str],
        limit: int,
    ) -> str:
        """Start an allowed, journaled command in a new terminal; returns the terminal's id."""
        started = time.perf_counter()
        command = [program, *argv[1:]]
        if self._wrap is not None:
            command = self._wrap(command, workdir)
        actions = self._actions
        token = actions.began(None) if actions is not None else 0
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                cwd=workdir,
                env=run_env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,  # its own group: kill reaches its children too
            )
        except OSError as exc:
            if actions is not None:
                actions.ended(token)
            await self.tool_journal.failed(call_id, key, str(exc))
            raise RequestError.internal_error({"command": argv[0], "error": str(exc)}) from None

        output = self.tool_journal.output(call_id)

        async def finished(terminal: Terminal) -> None:
            output.close()  # the last of the output is logged before the result
            if actions is not None:
                actions.ended(token)
            await self.tool_journal.exited(call_id, key, terminal, started=started)

        terminal_id = f"term-{next(self._ids)}"
        self._terminals[terminal_id] = Terminal(
            terminal_id,
            process,
            limit=limit,
            on_exit=finished,
            on_output=output.feed,
            leader_last=self._wrap is not None,
        )
        return terminal_id

    def terminal(self, terminal_id: str) -> Terminal:
        """The terminal with this id, or a JSON-RPC error for the agent."""
        found = self._terminals.get(terminal_id)
        if found is None:
            raise RequestError.resource_not_found(terminal_id)
        return found

    async def release_terminal(self, terminal_id: str) -> None:
        """``terminal/release``: kill it if still running and forget it."""
        await self.terminal(terminal_id).kill()
        self._terminals.pop(terminal_id, None)

    async def kill_all(self) -> None:
        """Kill every terminal this agent started (shutdown, cancel): no orphans."""
        await asyncio.gather(*(t.kill() for t in list(self._terminals.values())))
