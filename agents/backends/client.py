"""The client half of the ACP conversation: what we answer when the agent calls us.

Duck-typed rather than subclassing ``acp.Client`` (whose Protocol stubs would answer ``null`` for
anything we forgot, acp.md §5.8). Every handler takes ``**_meta``: the SDK splats an incoming
``_meta`` into keyword arguments (§5.4), so ids are never routed by a keyword ``_meta`` could
overwrite — one connection serves exactly one session.

One action, one decision: a permission request is first completed with what the agent announced
for the same ``toolCallId`` (:mod:`agents.backends.announced`), and its decision leaves a permit
that the ``fs/*`` or ``terminal/create`` request carrying it out rides on
(:mod:`agents.backends.correlation`). Permits lapse when the turn ends; :meth:`observe`, a
stream observer, sees the turns begin and end and the announcements arrive, in wire order.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from acp import RequestError
from acp.connection import StreamDirection, StreamEvent
from acp.schema import (
    AllowedOutcome,
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

from agents.auth.gate import Authorization, Precedent
from agents.auth.requests import ToolRequest
from agents.backends.announced import AnnouncedCalls
from agents.backends.correlation import permit_for
from agents.backends.executor import ToolExecutor
from agents.backends.permissions import (
    CANCELLED,
    choose,
    diff_of,
    new_texts,
    request_for,
    summary_of,
)

log = logging.getLogger(__name__)

_CALL_ID_KEYS = ("toolCallId", "tool_call_id")
"""Where an agent names, in a request's ``_meta``, the tool call the request carries out."""


def named_call(meta: dict[str, Any]) -> str | None:
    """The ``toolCallId`` a request's ``_meta`` names (the SDK splats ``_meta`` into keywords)."""
    for key in _CALL_ID_KEYS:
        value = meta.get(key)
        if isinstance(value, str) and value:
            return value
    return None


class BackendClient:
    """Serves one agent's requests: permissions, files and terminals, all through the gate."""

    def __init__(self, executor: ToolExecutor, workspace: Path) -> None:
        self._executor = executor
        self._workspace = workspace
        self._asking: set[asyncio.Task[Any]] = set()
        self.cancelling = False
        """While True (a prompt is being cancelled) every permission is answered cancelled."""
        self.announced = AnnouncedCalls()
        """What the agent announced of its tool calls, by ``toolCallId``."""
        self._prompt_id: object = None

    def observe(self, event: StreamEvent) -> None:
        """A connection observer: note announced tool calls; expire permits as turns end.

        Observers run in wire order before any handler, so an announcement is merged before
        the permission request that follows it is handled. Never raises.
        """
        try:
            self._observe(event.direction, event.message)
        except Exception:  # an observer error must not break the connection
            log.exception("could not follow an ACP frame of agent %s", self._executor.agent_id)

    def _observe(self, direction: StreamDirection, message: dict[str, Any]) -> None:
        method = message.get("method")
        if direction is StreamDirection.INCOMING:
            if method == "session/update":
                params = message.get("params")
                self.announced.note(params.get("update") if isinstance(params, dict) else None)
            elif method is None and "id" in message and message["id"] == self._prompt_id:
                self._prompt_id = None
                self._executor.permits.expire()  # the turn is over: unmatched permits lapse
        elif method == "session/prompt" and "id" in message:
            self._prompt_id = message["id"]
            self._executor.permits.expire()

    async def session_update(self, session_id: str, update: Any, **_meta: Any) -> None:
        """Nothing to do: the frame recorder mapped the raw notification and :meth:`observe`
        noted it, both in wire order."""

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
        tool_call = self.announced.enrich(tool_call)  # the path, diff, command it announced
        request = request_for(tool_call, role=self._executor.role, workspace=self._workspace)
        raw_input = tool_call.raw_input if isinstance(tool_call.raw_input, dict) else None
        asking = asyncio.create_task(
            self._executor.authorize(
                tool_call.tool_call_id,
                request,
                summary_of(tool_call, request),
                diff=diff_of(tool_call),
                raw_input=raw_input,
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
        except RequestError:
            return CANCELLED  # refused before the gate: the session is stopping (its budget)
        finally:
            self._asking.discard(asking)
        answer = choose(options, auth.allowed)
        told = isinstance(answer.outcome, AllowedOutcome)
        self._permit(tool_call, request=request, auth=auth, allowed=told)
        return answer

    def _permit(
        self,
        tool_call: ToolCallUpdate,
        *,
        request: ToolRequest,
        auth: Authorization,
        allowed: bool,
    ) -> None:
        """Leave the decision for the request that will carry the tool call out.

        ``allowed`` is what the agent was told: an allowed call answered with no allow option
        (so ``cancelled``) is not the agent's to carry out either.
        """
        precedent = Precedent(
            call_id=tool_call.tool_call_id,
            allowed=allowed and auth.allowed,
            approval_id=auth.approval_id,
            reason=auth.reason,
        )
        permit = permit_for(
            tool_call.tool_call_id,
            request,
            precedent,
            new_texts=new_texts(tool_call, self._workspace),
        )
        if permit is not None:
            self._executor.permits.grant(permit)

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
        content = await self._executor.read_text_file(
            path, line, limit, tool_call_id=named_call(_meta)
        )
        return ReadTextFileResponse(content=content)

    async def write_text_file(
        self, session_id: str, path: str, content: str, **_meta: Any
    ) -> WriteTextFileResponse:
        """``fs/write_text_file``."""
        await self._executor.write_text_file(path, content, tool_call_id=named_call(_meta))
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
            command,
            args or [],
            variables,
            cwd=cwd,
            output_byte_limit=output_byte_limit,
            tool_call_id=named_call(_meta),
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
