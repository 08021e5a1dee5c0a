"""The client half of the ACP conversation: what we answer when the agent calls us.

Duck-typed rather than subclassing ``acp.Client`` (whose Protocol stubs would answer ``null`` for
anything we forgot, acp.md §5.8). Every handler takes ``**_meta``: the SDK splats an incoming
``_meta`` into keyword arguments (§5.4), so ids are never routed by a keyword ``_meta`` could
overwrite — one connection serves exactly one session.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from acp.schema import (
    CreateTerminalResponse,
    EnvVariable,
    KillTerminalResponse,
    PermissionOption,
    ReadTextFileResponse,
    ReleaseTerminalResponse,
    RequestPermissionResponse,
    TerminalExitStatus,
    TerminalOutputResponse,
    ToolCallUpdate,
    WaitForTerminalExitResponse,
    WriteTextFileResponse,
)

from agents.backends.executor import ToolExecutor
from agents.backends.permissions import CANCELLED, choose, diff_of, request_for, summary_of


class BackendClient:
    """Serves one agent's requests: permissions, files and terminals, all through the gate."""

    def __init__(self, executor: ToolExecutor, workspace: Path) -> None:
        self._executor = executor
        self._workspace = workspace
        self._asking: set[asyncio.Task[Any]] = set()
        self.cancelling = False
        """While True (a prompt is being cancelled) every permission is answered cancelled."""

    async def session_update(self, session_id: str, update: Any, **_meta: Any) -> None:
        """Nothing to do: the frame recorder already mapped the raw notification, in order."""

    async def request_permission(
        self,
        session_id: str,
        tool_call: ToolCallUpdate,
        options: list[PermissionOption],
        **_meta: Any,
    ) -> RequestPermissionResponse:
        """Decide the agent's own tool call with the gate; answer by option kind."""
        if self.cancelling:
            return CANCELLED
        request = request_for(tool_call, role=self._executor.role, workspace=self._workspace)
        asking = asyncio.create_task(
            self._executor.authorize(
                tool_call.tool_call_id,
                request,
                summary_of(tool_call, request),
                diff=diff_of(tool_call),
            )
        )
        self._asking.add(asking)
        try:
            auth = await asking
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # we are being torn down ourselves
            return CANCELLED  # cancel_permissions() cancelled the question
        finally:
            self._asking.discard(asking)
        return choose(options, auth.allowed)

    def cancel_permissions(self) -> None:
        """Answer every pending permission ``cancelled`` (their approvals resolve as cancelled)."""
        for asking in list(self._asking):
            asking.cancel()

    async def read_text_file(
        self,
        session_id: str,
        path: str,
        line: int | None = None,
        *,
        limit: int | None = None,
        **_meta: Any,
    ) -> ReadTextFileResponse:
        """``fs/read_text_file``."""
        content = await self._executor.read_text_file(path, line, limit)
        return ReadTextFileResponse(content=content)

    async def write_text_file(
        self, session_id: str, path: str, content: str, **_meta: Any
    ) -> WriteTextFileResponse:
        """``fs/write_text_file``."""
        await self._executor.write_text_file(path, content)
        return WriteTextFileResponse()

    async def create_terminal(
        self,
        session_id: str,
        command: str,
        args: list[str] | None = None,
        *,
        env: list[EnvVariable] | None = None,
        cwd: str | None = None,
        output_byte_limit: int | None = None,
        **_meta: Any,
    ) -> CreateTerminalResponse:
        """``terminal/create``."""
        variables = {v.name: v.value for v in env or []}
        terminal_id = await self._executor.create_terminal(
            command, args or [], variables, cwd=cwd, output_byte_limit=output_byte_limit
        )
        return CreateTerminalResponse(terminal_id=terminal_id)

    async def terminal_output(
        self, session_id: str, terminal_id: str, **_meta: Any
    ) -> TerminalOutputResponse:
        """``terminal/output``: what was kept so far, and the exit status once exited."""
        terminal = self._executor.terminal(terminal_id)
        code, signal = terminal.exit_status()
        exited = terminal.returncode is not None
        return TerminalOutputResponse(
            output=terminal.output(),
            truncated=terminal.truncated,
            exit_status=TerminalExitStatus(exit_code=code, signal=signal) if exited else None,
        )

    async def wait_for_terminal_exit(
        self, session_id: str, terminal_id: str, **_meta: Any
    ) -> WaitForTerminalExitResponse:
        """``terminal/wait_for_exit``."""
        terminal = self._executor.terminal(terminal_id)
        await terminal.wait()
        code, signal = terminal.exit_status()
        return WaitForTerminalExitResponse(exit_code=code, signal=signal)

    async def kill_terminal(
        self, session_id: str, terminal_id: str, **_meta: Any
    ) -> KillTerminalResponse:
        """``terminal/kill``: kill the command; the terminal stays readable until released."""
        await self._executor.terminal(terminal_id).kill()
        return KillTerminalResponse()

    async def release_terminal(
        self, session_id: str, terminal_id: str, **_meta: Any
    ) -> ReleaseTerminalResponse:
        """``terminal/release``."""
        await self._executor.release_terminal(terminal_id)
        return ReleaseTerminalResponse()
