"""A test-only ACP client on the SDK's client side: serves fs and terminals inside one workspace.

It advertises ``fs.readTextFile``, ``fs.writeTextFile`` and ``terminal`` (or nothing, when told),
serves them directly on the disk, refuses every path outside the workspace (and any listed in
``refuse``) with a JSON-RPC error, answers permission requests by option *kind*, and records every
``session/update`` so tests can wait for one and assert on them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acp import PROTOCOL_VERSION, RequestError, spawn_agent_process
from acp.schema import (
    AllowedOutcome,
    ClientCapabilities,
    CreateTerminalResponse,
    DeniedOutcome,
    EnvVariable,
    FileSystemCapabilities,
    Implementation,
    InitializeResponse,
    KillTerminalResponse,
    PermissionOption,
    ReadTextFileResponse,
    ReleaseTerminalResponse,
    RequestPermissionResponse,
    TerminalOutputResponse,
    ToolCallUpdate,
    WaitForTerminalExitResponse,
    WriteTextFileResponse,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class _Terminal:
    process: asyncio.subprocess.Process
    output: bytearray = field(default_factory=bytearray)
    reader: asyncio.Task[None] | None = None


@dataclass
class PermissionAsked:
    """One ``session/request_permission`` as received, and the kind the client answered."""

    tool_call: ToolCallUpdate
    options: list[PermissionOption]
    answered: str


class WorkspaceClient:
    """A duck-typed ``acp.Client`` for tests; see the module docstring."""

    def __init__(
        self,
        workspace: Path,
        *,
        permission_kind: str | None = "allow_once",
        refuse: set[str] | None = None,
        advertise: bool = True,
    ) -> None:
        self.workspace = workspace.resolve()
        self.permission_kind = permission_kind
        """The option kind chosen for every permission request; ``None`` answers cancelled."""
        self.refuse = {str((self.workspace / p).resolve()) for p in (refuse or set())}
        self.advertise = advertise
        self.updates: list[Any] = []
        self.permissions: list[PermissionAsked] = []
        self.calls: list[str] = []
        """The client methods the agent called, in order (``fs/read_text_file``, ...)."""
        self._terminals: dict[str, _Terminal] = {}
        self._waiters: list[tuple[Callable[[Any], bool], asyncio.Future[Any]]] = []

    # --- what tests use ---------------------------------------------------------------------

    def capabilities(self) -> ClientCapabilities:
        """What ``initialize`` advertises: everything, or nothing at all."""
        if not self.advertise:
            return ClientCapabilities()
        return ClientCapabilities(
            fs=FileSystemCapabilities(read_text_file=True, write_text_file=True), terminal=True
        )

    async def wait_for_update(self, predicate: Callable[[Any], bool]) -> Any:
        """The first update (already received or still to come) that satisfies ``predicate``."""
        for update in self.updates:
            if predicate(update):
                return update
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters.append((predicate, future))
        return await future

    def of_kind(self, kind: str) -> list[Any]:
        """Every received update whose ``sessionUpdate`` is ``kind``."""
        return [u for u in self.updates if u.session_update == kind]

    def tool_statuses(self) -> dict[str, list[str]]:
        """Each tool call id with the statuses it went through, in order."""
        seen: dict[str, list[str]] = {}
        for update in self.updates:
            if update.session_update in ("tool_call", "tool_call_update") and update.status:
                seen.setdefault(update.tool_call_id, []).append(update.status)
        return seen

    def titles(self) -> dict[str, str]:
        """Each tool call id with its title."""
        return {u.tool_call_id: u.title for u in self.of_kind("tool_call")}

    # --- acp.Client -------------------------------------------------------------------------

    async def session_update(self, session_id: str, update: Any, **kwargs: Any) -> None:
        self.updates.append(update)
        for waiter in list(self._waiters):
            predicate, future = waiter
            if not future.done() and predicate(update):
                future.set_result(update)
                self._waiters.remove(waiter)

    async def request_permission(
        self,
        options: list[PermissionOption],
        session_id: str,
        tool_call: ToolCallUpdate,
        **kwargs: Any,
    ) -> RequestPermissionResponse:
        self.calls.append("session/request_permission")
        chosen = next((o for o in options if o.kind == self.permission_kind), None)
        answered = chosen.kind if chosen else "cancelled"
        self.permissions.append(PermissionAsked(tool_call, options, answered))
        if chosen is None:
            return RequestPermissionResponse(outcome=DeniedOutcome(outcome="cancelled"))
        return RequestPermissionResponse(
            outcome=AllowedOutcome(outcome="selected", option_id=chosen.option_id)
        )

    def _inside(self, path: str) -> Path:
        resolved = Path(path).resolve()
        if not resolved.is_relative_to(self.workspace):
            raise RequestError(-32001, f"refused: {path} is outside the workspace")
        if str(resolved) in self.refuse:
            raise RequestError(-32001, f"refused: {path} is denied by the test")
        return resolved

    async def read_text_file(
        self,
        path: str,
        session_id: str,
        limit: int | None = None,
        line: int | None = None,
        **kwargs: Any,
    ) -> ReadTextFileResponse:
        self.calls.append("fs/read_text_file")
        target = self._inside(path)
        try:
            return ReadTextFileResponse(content=target.read_text(encoding="utf-8"))
        except OSError as exc:
            raise RequestError.resource_not_found(path) from exc

    async def write_text_file(
        self, content: str, path: str, session_id: str, **kwargs: Any
    ) -> WriteTextFileResponse:
        self.calls.append("fs/write_text_file")
        target = self._inside(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        return WriteTextFileResponse()

    async def create_terminal(
        self,
        command: str,
        session_id: str,
        args: list[str] | None = None,
        cwd: str | None = None,
        env: list[EnvVariable] | None = None,
        output_byte_limit: int | None = None,
        **kwargs: Any,
    ) -> CreateTerminalResponse:
        self.calls.append("terminal/create")
        where = self._inside(cwd or str(self.workspace))
        environment = dict(os.environ)
        # `python` in a playbook means the interpreter running the tests (it has pytest).
        environment["PATH"] = os.pathsep.join(
            [str(Path(sys.executable).parent), environment["PATH"]]
        )
        # The workspace's tests need no plugin; skipping the venv's many keeps nested runs quick.
        environment["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        environment.update({v.name: v.value for v in env or []})
        process = await asyncio.create_subprocess_exec(
            command,
            *(args or []),
            cwd=where,
            env=environment,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        terminal = _Terminal(process)
        terminal.reader = asyncio.create_task(self._pump(terminal))
        terminal_id = f"term-{len(self._terminals) + 1}"
        self._terminals[terminal_id] = terminal
        return CreateTerminalResponse(terminal_id=terminal_id)

    async def _pump(self, terminal: _Terminal) -> None:
        assert terminal.process.stdout is not None
        while chunk := await terminal.process.stdout.read(65536):
            terminal.output.extend(chunk)

    def _terminal(self, terminal_id: str) -> _Terminal:
        try:
            return self._terminals[terminal_id]
        except KeyError:
            raise RequestError.invalid_params({"terminalId": terminal_id}) from None

    async def wait_for_terminal_exit(
        self, session_id: str, terminal_id: str, **kwargs: Any
    ) -> WaitForTerminalExitResponse:
        self.calls.append("terminal/wait_for_exit")
        terminal = self._terminal(terminal_id)
        code = await terminal.process.wait()
        assert terminal.reader is not None
        await terminal.reader
        if code < 0:
            return WaitForTerminalExitResponse(signal=f"signal {-code}")
        return WaitForTerminalExitResponse(exit_code=code)

    async def terminal_output(
        self, session_id: str, terminal_id: str, **kwargs: Any
    ) -> TerminalOutputResponse:
        self.calls.append("terminal/output")
        terminal = self._terminal(terminal_id)
        text = terminal.output.decode("utf-8", errors="replace")
        return TerminalOutputResponse(output=text, truncated=False)

    async def kill_terminal(
        self, session_id: str, terminal_id: str, **kwargs: Any
    ) -> KillTerminalResponse:
        self.calls.append("terminal/kill")
        process = self._terminal(terminal_id).process
        if process.returncode is None:
            process.kill()
        return KillTerminalResponse()

    async def release_terminal(
        self, session_id: str, terminal_id: str, **kwargs: Any
    ) -> ReleaseTerminalResponse:
        self.calls.append("terminal/release")
        terminal = self._terminals.pop(terminal_id, None)
        if terminal is not None and terminal.process.returncode is None:
            terminal.process.kill()
            await terminal.process.wait()
        return ReleaseTerminalResponse()


@dataclass
class AgentRun:
    """A running demo agent: the connection, its initialize answer and a session in the workspace."""

    conn: Any
    client: WorkspaceClient
    init: InitializeResponse
    session_id: str
    stderr: Path


@contextlib.asynccontextmanager
async def run_demo_agent(
    client: WorkspaceClient,
    playbook: Path,
    stderr: Path,
    *,
    speed: float = 0,
    extra_args: tuple[str, ...] = (),
) -> AsyncIterator[AgentRun]:
    """Spawn ``python -m agents.demo`` on ``playbook``, initialize it and open a session."""
    with stderr.open("wb") as log:
        async with spawn_agent_process(
            # acp.Client is a Protocol with every optional method (elicitation, ext_*);
            # this client serves only what it advertises, duck-typed as the notes advise.
            client,  # type: ignore[arg-type]
            sys.executable,
            "-m",
            "agents.demo",
            "--playbook",
            str(playbook),
            "--speed",
            str(speed),
            *extra_args,
            cwd=REPO_ROOT,
            env=dict(os.environ),
            transport_kwargs={"stderr": log},
        ) as (conn, _process):
            init = await conn.initialize(
                protocol_version=PROTOCOL_VERSION,
                client_capabilities=client.capabilities(),
                client_info=Implementation(name="acp-test-client", version="0"),
            )
            session = await conn.new_session(cwd=str(client.workspace), mcp_servers=[])
            yield AgentRun(conn, client, init, session.session_id, stderr)
