"""The client half of a re-drive: the real ``BackendClient`` and ``ToolExecutor``, minus the world.

Every request the recorded agent made is served by the code that served it live — mapping it
to a ``ToolRequest``, asking the gate (with the chosen policy), choosing a permission option,
journaling — and only the side effects are answered from the log: a read returns the recorded
content, a write writes nothing, a command starts nothing and its terminal answers what the
recorded one did. Each request is matched to its recorded *exchange* (first come, first served
per method, as the wire delivered them) and the exchange travels in a context variable, since
the SDK runs each request in a task of its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from acp import RequestError
from acp.schema import (
    CreateTerminalResponse,
    EnvVariable,
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

from agents.auth.gate import Authorization, Precedent
from agents.auth.requests import Decision, ToolRequest
from agents.backends.client import BackendClient
from agents.backends.executor import ToolExecutor
from agents.backends.permissions import CANCELLED
from agents.redrive.journal import Divergence, Journal, Kind
from agents.redrive.tape import PERMISSION, Exchange, GateCall, Turn
from sessions.schema.base import JsonObject
from sessions.schema.tools import ToolResult

CURRENT: ContextVar[Exchange | None] = ContextVar("redrive_exchange", default=None)
"""The recorded exchange the request being served stands for."""


def recorded_error(exchange: Exchange | None) -> RequestError | None:
    """The error we answered the recorded request with (None when we answered a result)."""
    if exchange is None or exchange.response is None:
        return RequestError.internal_error({"reason": "the recording has no answer to this"})
    error = exchange.response.message.get("error")
    if not isinstance(error, dict):
        return None
    code = error.get("code")
    return RequestError(
        code if isinstance(code, int) else -32603, str(error.get("message", "")), error.get("data")
    )


def recorded_result(exchange: Exchange | None) -> dict[str, Any]:
    """The result we answered the recorded request with; raises the recorded error instead."""
    error = recorded_error(exchange)
    if error is not None:
        raise error
    assert exchange is not None and exchange.response is not None
    result = exchange.response.message.get("result")
    return result if isinstance(result, dict) else {}


def _verdict(decision: str | None, rule: str | None) -> str:
    shown = decision or "no answer"
    return f"{shown} ({rule})" if rule else shown


class ReplayExecutor(ToolExecutor):
    """The executor with its side effects answered from the recorded exchange."""

    def __init__(self, *, journal: Journal, **kwargs: Any) -> None:
        super().__init__(env={}, **kwargs)
        self._journal = journal
        self._spare_ids = itertools.count(1)

    def _call_id(self, kind: str) -> str:
        # The recorded call's id, so the new log and the recorded one name a call alike.
        exchange = CURRENT.get()
        call = exchange.peek_call() if exchange is not None else None
        return call.call_id if call is not None else f"{kind}-redrive-{next(self._spare_ids)}"

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
        """Ask the real gate, compare with the recorded decision, answer as the recording did."""
        exchange = CURRENT.get()
        recorded = exchange.take_call() if exchange is not None else None
        auth = await super().authorize(
            call_id, request, summary, diff=diff, raw_input=raw_input, rides_on=rides_on
        )
        self._journal.tool_calls += 1
        subject = request.command or ", ".join(request.paths) or request.tool.value
        new = auth.verdict.decision.value
        if recorded is None:
            seq = exchange.request.seq if exchange is not None else 0
            self._note(seq, "not decided", _verdict(new, auth.verdict.rule_id), subject=subject)
            return auth
        self._journal.decided.add(recorded.requested_seq)
        self._journal.position = max(self._journal.position, recorded.seq)
        if recorded.verdict != new:
            expected = _verdict(recorded.verdict, recorded.rule_id)
            self._note(recorded.seq, expected, _verdict(new, auth.verdict.rule_id), subject=subject)
        elif new == "ask" and (recorded.final or "deny") != auth.decision.value:
            # An "ask" cancelled or never answered in the recording did not run: a "no".
            expected = f"ask → {recorded.final or 'no answer'}"
            self._note(recorded.seq, expected, f"ask → {auth.decision.value}", subject=subject)
        return _as_recorded(recorded, auth)

    def _note(self, seq: int, expected: str, actual: str, *, subject: str) -> None:
        self._journal.note(
            Divergence(
                seq=seq,
                kind=Kind.DECISION,
                expected=expected,
                actual=actual,
                agent_id=self.agent_id,
                detail=subject,
            )
        )

    async def _read(self, target: Path, line: int | None, limit: int | None) -> str:
        return str(recorded_result(CURRENT.get()).get("content", ""))

    async def _proposed_diff(self, target: Path, content: str) -> str:
        return ""  # the workspace is not read: the diff is only ever shown, never compared

    async def _write(self, target: Path, content: str) -> None:
        error = recorded_error(CURRENT.get())
        if error is not None:
            raise OSError(str(error))

    def _which(self, command: str, path: str | None) -> str | None:
        exchange = CURRENT.get()
        return command if exchange is not None and (exchange.intended or exchange.ok) else None

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
        exchange = CURRENT.get()
        for payload in exchange.results if exchange is not None else []:
            await self.tool_journal.result(ToolResult.model_validate(payload))
        return str(recorded_result(exchange).get("terminalId", ""))


def _as_recorded(recorded: GateCall, auth: Authorization) -> Authorization:
    """The authorization the agent saw in the recording: its next frames assume that answer."""
    if recorded.allowed is auth.allowed:
        return auth
    decision = Decision.ALLOW if recorded.allowed else Decision.DENY
    return Authorization(
        allowed=recorded.allowed,
        decision=decision,
        verdict=auth.verdict,
        resolution=auth.resolution,
    )


class ReplayClient(BackendClient):
    """``BackendClient`` serving a recorded agent: gated as live, answered from the log."""

    def __init__(
        self, executor: ReplayExecutor, workspace: Path, turn: Callable[[], Turn | None]
    ) -> None:
        super().__init__(executor, workspace)
        self._turn = turn

    def _enter(self, method: str) -> Exchange | None:
        turn = self._turn()
        exchange = turn.take(method) if turn is not None else None
        CURRENT.set(exchange)
        return exchange

    async def request_permission(
        self,
        session_id: str,
        tool_call: ToolCallUpdate,
        options: list[PermissionOption],
        **_meta: Any,
    ) -> RequestPermissionResponse:
        """Decided by the gate, unless the recording answered "cancelled" without asking it
        (its prompt was being cancelled)."""
        exchange = self._enter(PERMISSION)
        if exchange is not None and not exchange.calls and exchange.response is not None:
            result = exchange.response.message.get("result")
            if isinstance(result, dict) and result.get("outcome", {}).get("outcome") == "cancelled":
                return CANCELLED
        return await super().request_permission(session_id, tool_call, options, **_meta)

    async def read_text_file(
        self,
        session_id: str,
        path: str,
        line: int | None = None,
        *,
        limit: int | None = None,
        **_meta: Any,
    ) -> ReadTextFileResponse:
        """``fs/read_text_file``, gated; the content is the recorded one."""
        self._enter("fs/read_text_file")
        return await super().read_text_file(session_id, path, line, limit=limit, **_meta)

    async def write_text_file(
        self, session_id: str, path: str, content: str, **_meta: Any
    ) -> WriteTextFileResponse:
        """``fs/write_text_file``, gated and journaled; nothing is written."""
        self._enter("fs/write_text_file")
        return await super().write_text_file(session_id, path, content, **_meta)

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
        """``terminal/create``, gated and journaled; nothing is started."""
        self._enter("terminal/create")
        return await super().create_terminal(
            session_id,
            command,
            args,
            env=env,
            cwd=cwd,
            output_byte_limit=output_byte_limit,
            **_meta,
        )

    async def terminal_output(
        self, session_id: str, terminal_id: str, **_meta: Any
    ) -> TerminalOutputResponse:
        """``terminal/output``: what the recorded terminal said."""
        result = recorded_result(self._enter("terminal/output"))
        return TerminalOutputResponse.model_validate(result)

    async def wait_for_terminal_exit(
        self, session_id: str, terminal_id: str, **_meta: Any
    ) -> WaitForTerminalExitResponse:
        """``terminal/wait_for_exit``: how the recorded command ended."""
        result = recorded_result(self._enter("terminal/wait_for_exit"))
        return WaitForTerminalExitResponse.model_validate(result)

    async def kill_terminal(
        self, session_id: str, terminal_id: str, **_meta: Any
    ) -> KillTerminalResponse:
        """``terminal/kill``: nothing runs, so nothing to kill."""
        return KillTerminalResponse.model_validate(recorded_result(self._enter("terminal/kill")))

    async def release_terminal(
        self, session_id: str, terminal_id: str, **_meta: Any
    ) -> ReleaseTerminalResponse:
        """``terminal/release``."""
        result = recorded_result(self._enter("terminal/release"))
        return ReleaseTerminalResponse.model_validate(result)
