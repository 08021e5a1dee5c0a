"""Serve an agent's ``fs/*`` and ``terminal/*`` requests ourselves, through the gate.

Every request becomes a ``ToolRequest`` for the agent's role and workspace and goes to
``AuthGate.authorize`` (which records the decision). A refusal is a JSON-RPC error carrying the
reason. An allowed write or command is journaled: a durable ``tool.intent`` before it happens
and a durable ``tool.result`` after, so a crash in between leaves a visible trace.

The side effects — reading, diffing and writing a file, finding and starting a program — are
methods of their own: a re-drive (:mod:`agents.redrive`) answers them from the log while every
decision still goes through the code here.
"""

from __future__ import annotations

import asyncio
import codecs
import difflib
import hashlib
import itertools
import shlex
import shutil
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Literal

from acp import RequestError

from agents.auth.ceiling import Ceiling
from agents.auth.gate import AuthGate, Authorization, ToolCall
from agents.auth.requests import ToolKind, ToolRequest
from agents.backends.permissions import DIFF_LIMIT
from agents.backends.terminals import DEFAULT_OUTPUT_LIMIT, Terminal
from sessions.schema.tools import ToolIntent, ToolOutput, ToolResult
from sessions.store.event_store import EventStore

DENIED = -32010
"""JSON-RPC error code of a tool call the policy (or a human) refused; ACP defines none."""

RESULT_OUTPUT_LIMIT = 16 * 1024
STREAM_LIMIT = 256 * 1024
"""Bytes of one command's output streamed into ``tool.output`` events; the rest is not."""
"""Characters of a command's output kept in its ``tool.result`` event (the tail)."""


_SHELL_CHARS = set("|&;<>()$`*?[]~{}\n\\")


def idempotency_key(session_id: str, call_id: str, action: str, *, target: str) -> str:
    """A stable key for one side effect, so a replay can tell whether it already happened."""
    digest = hashlib.sha256(f"{session_id}\0{call_id}\0{action}\0{target}".encode())
    return digest.hexdigest()[:32]


def absolute(path: str) -> Path:
    """``path`` resolved; ACP requires absolute paths, so a relative one is refused."""
    candidate = Path(path)
    if not candidate.is_absolute():
        raise RequestError.invalid_params({"path": path, "reason": "paths must be absolute"})
    return candidate.resolve()


def command_argv(command: str, args: Sequence[str]) -> list[str]:
    """What to exec: the argv as given, or a shell for a command line that needs one."""
    if args:
        return [command, *args]
    if not _SHELL_CHARS.intersection(command):
        try:
            words = shlex.split(command)
        except ValueError:
            words = []
        if words:
            return words
    return ["/bin/sh", "-c", command]


def gated_line(command: str, args: Sequence[str], env: Mapping[str, str]) -> str:
    """The shell line the gate judges for a ``terminal/create``: what the agent would run.

    A command with args is that argv quoted (``/bin/sh -lc '…'`` stays a shell running its
    script, which the policy unwraps when the script is literal); a command alone is the line.
    """
    line = command if not args else shlex.join([command, *args])
    # Variables the agent sets are shown to the policy as VAR=value prefixes, so its floor for
    # them ("ask") applies instead of letting them through unseen.
    shown = " ".join(f"{shlex.quote(k)}={shlex.quote(v)}" for k, v in env.items())
    return f"{shown} {line}" if shown else line


def _read_lines(path: Path, line: int | None, limit: int | None) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    if line is None and limit is None:
        return text
    lines = text.splitlines(keepends=True)
    start = max((line or 1) - 1, 0)
    end = None if limit is None else start + max(limit, 0)
    return "".join(lines[start:end])


def _diff(path: Path, content: str) -> str:
    try:
        old = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    except OSError:
        old = ""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), content.splitlines(keepends=True), str(path), str(path)
    )
    return "".join(lines)[:DIFF_LIMIT]


class ToolExecutor:
    """Runs one agent's file and terminal requests, gated and journaled."""

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
    ) -> None:
        self.session_id = session_id
        self.agent_id = agent_id
        self.role = role
        self.workspace = workspace.resolve()
        self._store = store
        self._gate = gate
        self._env = dict(env)
        self._ceiling = ceiling
        self._secret_vars = secret_vars
        self._terminals: dict[str, Terminal] = {}
        self._ids = itertools.count(1)

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
        self, call_id: str, request: ToolRequest, summary: str, *, diff: str | None = None
    ) -> Authorization:
        """Ask the gate; it records the decision (and any human's answer)."""
        call = ToolCall(
            session_id=self.session_id,
            agent_id=self.agent_id,
            call_id=call_id,
            request=request,
            summary=summary,
            ceiling=self._ceiling,
            diff=diff,
            secret_vars=self._secret_vars,
        )
        return await self._gate.authorize(call)

    async def _require(
        self, call_id: str, request: ToolRequest, summary: str, *, diff: str | None = None
    ) -> None:
        auth = await self.authorize(call_id, request, summary, diff=diff)
        if not auth.allowed:
            raise RequestError(DENIED, f"refused by policy: {auth.reason}", {"callId": call_id})

    def _call_id(self, kind: str) -> str:
        return f"{kind}-{uuid.uuid4().hex[:12]}"

    async def _intent(
        self,
        call_id: str,
        action: Literal["write", "execute"],
        target: str,
        *,
        argv: list[str] | None = None,
        path: str | None = None,
        cwd: str | None = None,
    ) -> str:
        key = idempotency_key(self.session_id, call_id, action, target=target)
        intent = ToolIntent(
            call_id=call_id, idempotency_key=key, action=action, argv=argv, path=path, cwd=cwd
        )
        await self._store.append_durable(self.session_id, self.agent_id, intent)
        return key

    async def _result(self, result: ToolResult) -> None:
        await self._store.append_durable(self.session_id, self.agent_id, result)

    # -- fs/* ------------------------------------------------------------------------------

    async def read_text_file(self, path: str, line: int | None, limit: int | None) -> str:
        """``fs/read_text_file``: gated as a read of the resolved path."""
        target = absolute(path)
        call_id = self._call_id("read")
        request = self.request(ToolKind.READ, paths=(str(target),))
        await self._require(call_id, request, f"read {target}")
        return await self._read(target, line, limit)

    async def _read(self, target: Path, line: int | None, limit: int | None) -> str:
        """The file's text: the side effect of a read (a re-drive answers from the log)."""
        try:
            return await asyncio.to_thread(_read_lines, target, line, limit)
        except FileNotFoundError:
            raise RequestError.resource_not_found(str(target)) from None
        except OSError as exc:
            raise RequestError.internal_error({"path": str(target), "error": str(exc)}) from None

    async def write_text_file(self, path: str, content: str) -> None:
        """``fs/write_text_file``: gated as an edit, journaled, then written."""
        target = absolute(path)
        call_id = self._call_id("write")
        request = self.request(ToolKind.EDIT, paths=(str(target),))
        diff = await self._proposed_diff(target, content)
        await self._require(call_id, request, f"write {target}", diff=diff)
        key = await self._intent(call_id, "write", str(target), path=str(target))
        started = time.perf_counter()
        try:
            await self._write(target, content)
        except OSError as exc:
            await self._result(
                ToolResult(call_id=call_id, idempotency_key=key, status="failed", output=str(exc))
            )
            raise RequestError.internal_error({"path": str(target), "error": str(exc)}) from None
        elapsed = round((time.perf_counter() - started) * 1000, 3)
        await self._result(
            ToolResult(
                call_id=call_id, idempotency_key=key, status="completed", duration_ms=elapsed
            )
        )

    async def _proposed_diff(self, target: Path, content: str) -> str:
        """What a write would change, shown with an approval (reads the file as it is now)."""
        return await asyncio.to_thread(_diff, target, content)

    async def _write(self, target: Path, content: str) -> None:
        """The side effect of a write; raises ``OSError`` when it fails."""
        await asyncio.to_thread(_write, target, content)

    # -- terminal/* ------------------------------------------------------------------------

    async def create_terminal(
        self,
        command: str,
        args: Sequence[str],
        env: Mapping[str, str],
        *,
        cwd: str | None,
        output_byte_limit: int | None,
    ) -> str:
        """``terminal/create``: gated as an execute in ``cwd``, journaled, then started."""
        workdir = self.workspace if cwd is None else absolute(cwd)
        if not workdir.is_relative_to(self.workspace):
            raise RequestError(DENIED, f"refused: cwd {workdir} is outside the workspace")
        argv = command_argv(command, args)
        gated = gated_line(command, args, env)
        call_id = self._call_id("exec")
        request = self.request(ToolKind.EXECUTE, command=gated, cwd=workdir)
        await self._require(call_id, request, f"run {gated}")
        run_env = {**self._env, **env}
        program = self._which(argv[0], run_env.get("PATH"))
        if program is None:
            raise RequestError.invalid_params({"command": argv[0], "reason": "not found on PATH"})
        key = await self._intent(call_id, "execute", shlex.join(argv), argv=argv, cwd=str(workdir))
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
        try:
            process = await asyncio.create_subprocess_exec(
                program,
                *argv[1:],
                cwd=workdir,
                env=run_env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,  # its own group: kill reaches its children too
            )
        except OSError as exc:
            await self._result(
                ToolResult(call_id=call_id, idempotency_key=key, status="failed", output=str(exc))
            )
            raise RequestError.internal_error({"command": argv[0], "error": str(exc)}) from None

        async def finished(terminal: Terminal) -> None:
            code = terminal.process.returncode
            await self._result(
                ToolResult(
                    call_id=call_id,
                    idempotency_key=key,
                    status="completed" if code == 0 else "failed",
                    exit_code=code,
                    output=terminal.output()[-RESULT_OUTPUT_LIMIT:],
                    truncated=terminal.truncated,
                    duration_ms=round((time.perf_counter() - started) * 1000, 3),
                )
            )

        terminal_id = f"term-{next(self._ids)}"
        self._terminals[terminal_id] = Terminal(
            terminal_id, process, limit=limit, on_exit=finished, on_output=self._streamer(call_id)
        )
        return terminal_id

    def _streamer(self, call_id: str) -> Callable[[bytes], None]:
        """Stream a command's output into ``tool.output`` events, up to STREAM_LIMIT bytes.

        The console shows output while it runs; the cap keeps a chatty build from filling the
        log (the result still carries the tail). Fire-and-forget: output is not a decision.
        """
        sent = 0
        # A read can end inside a multi-byte character: decode incrementally across reads.
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

        def stream(chunk: bytes) -> None:
            nonlocal sent
            if sent >= STREAM_LIMIT:
                return
            room = STREAM_LIMIT - sent
            piece, sent = chunk[:room], sent + min(len(chunk), room)
            capped = sent >= STREAM_LIMIT
            text = decoder.decode(piece, final=capped)
            if not text and not capped:
                return
            self._store.append(
                self.session_id,
                self.agent_id,
                ToolOutput(call_id=call_id, text=text, truncated=capped),
            )

        return stream

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


def _write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
