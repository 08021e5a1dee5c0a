"""The write-ahead journal of one agent's allowed writes and commands.

Before an allowed write or command runs, a durable ``tool.intent`` (with its idempotency key)
is committed; while a command runs its output becomes ``tool.output`` events; when the action
has ended a ``tool.result`` says how. A crash in between leaves an intent without a result,
which recovery reports as such. :class:`~agents.backends.executor.ToolExecutor` decides and
runs the actions; this writes what they were and what became of them.
"""

from __future__ import annotations

import time
from typing import Literal

from agents.backends.effects import idempotency_key
from agents.backends.output import OutputCoalescer
from agents.backends.terminals import Terminal
from sessions.schema.tools import ToolIntent, ToolOutput, ToolResult
from sessions.store.event_store import EventStore

RESULT_OUTPUT_LIMIT = 16 * 1024
"""Characters of a command's output kept in its ``tool.result`` event (the tail)."""


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


class ToolJournal:
    """Intents, output and results of one agent's writes and commands, in its session's log."""

    def __init__(self, store: EventStore, *, session_id: str, agent_id: str) -> None:
        self._store = store
        self.session_id = session_id
        self.agent_id = agent_id

    async def intent(
        self,
        call_id: str,
        action: Literal["write", "execute"],
        target: str,
        *,
        argv: list[str] | None = None,
        path: str | None = None,
        cwd: str | None = None,
        approval_id: str | None = None,
    ) -> str:
        """Commit (durably) that an allowed action is about to run; returns its idempotency key."""
        key = idempotency_key(self.session_id, call_id, action, target=target)
        intent = ToolIntent(
            call_id=call_id,
            idempotency_key=key,
            action=action,
            argv=argv,
            path=path,
            cwd=cwd,
            approval_id=approval_id,
        )
        await self._store.append_durable(self.session_id, self.agent_id, intent)
        return key

    async def result(self, result: ToolResult) -> None:
        """Record how a journaled action ended."""
        # Write-ahead: the intent was committed before the action ran; its result joins the
        # writer's next commit (milliseconds later) instead of waiting for an fsync of its own.
        # A crash in between leaves an intent without a result, which recovery reports as such.
        self._store.append(self.session_id, self.agent_id, result)

    async def failed(self, call_id: str, key: str, error: str) -> None:
        """The action could not be carried out (the write or the start failed)."""
        await self.result(
            ToolResult(call_id=call_id, idempotency_key=key, status="failed", output=error)
        )

    async def written(self, call_id: str, key: str, *, started: float) -> None:
        """A write completed; ``started`` is its ``time.perf_counter()`` at the start."""
        await self.result(
            ToolResult(
                call_id=call_id,
                idempotency_key=key,
                status="completed",
                duration_ms=_ms_since(started),
            )
        )

    async def exited(self, call_id: str, key: str, terminal: Terminal, *, started: float) -> None:
        """A command exited: its status, code and the tail of its output."""
        code = terminal.process.returncode
        await self.result(
            ToolResult(
                call_id=call_id,
                idempotency_key=key,
                status="completed" if code == 0 else "failed",
                exit_code=code,
                output=terminal.output()[-RESULT_OUTPUT_LIMIT:],
                truncated=terminal.truncated,
                duration_ms=_ms_since(started),
            )
        )

    def output(self, call_id: str) -> OutputCoalescer:
        """A command's output as ``tool.output`` events: coalesced, capped, progress collapsed.

        The console shows output while it runs; the cap keeps a chatty build from filling the
        log (the result still carries the tail). Fire-and-forget: output is not a decision.
        """

        def emit(text: str, truncated: bool) -> None:
            self._store.append(
                self.session_id,
                self.agent_id,
                ToolOutput(call_id=call_id, text=text, truncated=truncated),
            )

        return OutputCoalescer(emit)
