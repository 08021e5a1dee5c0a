"""The approvals broker: an "ask" becomes a durable request and a future the gate awaits.

The request is committed before anyone can see it; the UI lists :meth:`ApprovalBroker.pending`
and calls :meth:`ApprovalBroker.resolve` — no widget resolves a future itself. Answers given from
another terminal (``quarterdeck approve``) arrive through the database: :meth:`follow_external`
watches the approval projection, where the first resolution in the log wins. A request times
out to deny; cancelling resolves it as cancelled; every outcome is an event.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from agents.approvals.standing import write_standing_grant
from agents.auth.grants import GrantError, narrowed_rule
from agents.auth.requests import Decision, ToolRequest
from sessions.schema.policy import AnswerSource, ApprovalRequested, ApprovalResolved, Risk
from sessions.store.approval_rows import approvals_by_id
from sessions.store.event_store import EventStore, format_ts

OWNER = f"{socket.gethostname()}:{os.getpid()}"
"""Who is waiting for answers in this process: shown as stale if it dies."""


class Outcome(StrEnum):
    """How an approval ended."""

    APPROVED_ONCE = "approved_once"
    APPROVED_ALWAYS = "approved_always"
    DENIED = "denied"
    DENIED_ALWAYS = "denied_always"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"

    @property
    def approved(self) -> bool:
        """The tool call may run."""
        return self in (Outcome.APPROVED_ONCE, Outcome.APPROVED_ALWAYS)

    @property
    def standing(self) -> Decision | None:
        """The decision of the rule an "always"/"never" answer leaves; None for a one-off."""
        return _STANDING.get(self)

    @property
    def source(self) -> AnswerSource:
        """The decision source recorded with the final ``policy.decided``."""
        return _SOURCES.get(self, "human")


_STANDING = {Outcome.APPROVED_ALWAYS: Decision.ALLOW, Outcome.DENIED_ALWAYS: Decision.DENY}
_SOURCES: dict[Outcome, AnswerSource] = {Outcome.TIMEOUT: "timeout", Outcome.CANCELLED: "cancel"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolution:
    """The answer to one approval request."""

    outcome: Outcome
    decided_by: str | None = None
    reason: str = ""
    added_rule: str | None = None
    approval_id: str | None = None
    """The request this answers (set by the broker), so a later execution can name it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingApproval:
    """A request waiting for a human, as the approvals queue shows it."""

    approval_id: str
    session_id: str
    call_id: str
    agent_id: str
    role: str
    summary: str
    request: ToolRequest
    risk: Risk
    rule_id: str | None
    reason: str
    diff: str | None
    requested_at: float
    expires_at: float


class ApprovalError(Exception):
    """An approval cannot be resolved as asked (unknown id, already answered)."""


@dataclass(frozen=True, slots=True)
class RequestAdded:
    """A request is on disk and waiting for an answer."""

    approval: PendingApproval


@dataclass(frozen=True, slots=True)
class RequestResolved:
    """A request ended (answered here or elsewhere, timed out or cancelled) and how."""

    approval: PendingApproval
    resolution: Resolution


BrokerEvent = RequestAdded | RequestResolved
"""What the broker tells its listeners, in the order it happens."""

Listener = Callable[[BrokerEvent], None]
"""Told every :data:`BrokerEvent`, after it is committed."""


class ApprovalBroker:
    """Creates, times out, cancels and resolves approval requests for one process."""

    def __init__(
        self,
        store: EventStore,
        *,
        policy_path: Path | None = None,
        timeout_s: float = 300.0,
        clock: Callable[[], float] = time.time,
        user: str | None = None,
    ) -> None:
        self._store = store
        self._policy_path = policy_path
        self.timeout_s = timeout_s
        self._clock = clock
        self._user = user or getpass.getuser()
        self._pending: dict[str, tuple[PendingApproval, asyncio.Future[Resolution]]] = {}
        self._waiting = asyncio.Event()
        """Set while this process has a request waiting (answers from elsewhere are looked
        for only then)."""
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        """Be told when requests arrive and when they are resolved (the UI's queue)."""
        self._listeners.append(listener)

    def pending(self) -> list[PendingApproval]:
        """Requests of this process still waiting, oldest first."""
        return sorted((p for p, _ in self._pending.values()), key=lambda p: p.requested_at)

    async def request(
        self,
        *,
        session_id: str,
        agent_id: str,
        call_id: str,
        request: ToolRequest,
        summary: str,
        risk: Risk = "medium",
        rule_id: str | None = None,
        reason: str = "",
        diff: str | None = None,
        timeout_s: float | None = None,
    ) -> Resolution:
        """Ask a human; returns once answered, timed out (deny) or cancelled."""
        timeout = self.timeout_s if timeout_s is None else timeout_s
        now = self._clock()
        approval = PendingApproval(
            approval_id=uuid.uuid4().hex[:12],
            session_id=session_id,
            call_id=call_id,
            agent_id=agent_id,
            role=request.role,
            summary=summary,
            request=request,
            risk=risk,
            rule_id=rule_id,
            reason=reason,
            diff=diff,
            requested_at=now,
            expires_at=now + timeout,
        )
        await self._store.append_durable(
            session_id,
            "auth",
            ApprovalRequested(
                approval_id=approval.approval_id,
                call_id=call_id,
                agent_id=agent_id,
                role=request.role,
                tool=request.tool.value,
                summary=summary,
                command=request.command,
                paths=list(request.paths),
                cwd=str(request.cwd) if request.cwd else None,
                diff=diff,
                risk=risk,
                rule_id=rule_id,
                reason=reason,
                expires_at=format_ts(approval.expires_at),
                owner=OWNER,
            ),
        )
        future: asyncio.Future[Resolution] = asyncio.get_running_loop().create_future()
        self._pending[approval.approval_id] = (approval, future)
        self._waiting.set()
        self._tell(RequestAdded(approval))
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            return await self._finish(
                approval.approval_id,
                Resolution(
                    outcome=Outcome.TIMEOUT, decided_by=None, reason=f"no answer in {timeout:g}s"
                ),
            )
        except asyncio.CancelledError:
            if approval.approval_id in self._pending:
                await asyncio.shield(
                    self._finish(
                        approval.approval_id,
                        Resolution(outcome=Outcome.CANCELLED, decided_by=None, reason="cancelled"),
                    )
                )
            raise

    async def resolve(
        self, approval_id: str, outcome: Outcome, *, reason: str = "", decided_by: str | None = None
    ) -> Resolution:
        """Answer a pending request. "Always" answers first add a narrowed rule to the policy
        file (raising ``GrantError`` — and leaving the request pending — if none is safe)."""
        entry = self._pending.get(approval_id)
        if entry is None:
            raise ApprovalError(f"no pending approval {approval_id!r} in this console")
        approval = entry[0]
        added = None
        decision = outcome.standing
        if decision is not None:
            # The policy file is written on a thread: the console's loop only draws.
            added = await asyncio.to_thread(
                write_standing_grant,
                self._policy_path,
                approval_id=approval_id,
                decision=decision,
                request=approval.request,
                session_id=approval.session_id,
                subject=approval.summary,
            )
        who = decided_by or self._user
        done = await self._finish(
            approval_id,
            Resolution(outcome=outcome, decided_by=who, reason=reason, added_rule=added),
        )
        if decision is not None and added is not None:
            await self._settle_covered(approval, decision, added, who=who)
        return done

    async def _settle_covered(
        self, granted: PendingApproval, decision: Decision, rule_id: str, *, who: str | None
    ) -> None:
        """Answer the other waiting requests the new standing rule decides — the same command
        or file for the same role, whose narrowed rule is the very one just written — so the
        user is not asked again for what they just granted (or refused) for good."""
        rule = narrowed_rule(granted.request, decision, rule_id=rule_id)
        once = Outcome.APPROVED_ONCE if decision is Decision.ALLOW else Outcome.DENIED
        for other in self.pending():
            try:
                same = narrowed_rule(other.request, decision, rule_id=rule_id) == rule
            except GrantError:
                continue
            if same and other.approval_id in self._pending:
                why = f"covered by standing rule {rule_id}"
                await self._finish(
                    other.approval_id,
                    Resolution(outcome=once, decided_by=who, reason=why, added_rule=None),
                )

    async def cancel(self, approval_id: str, *, reason: str = "cancelled") -> None:
        """Resolve one request as cancelled (its session or agent was cancelled)."""
        if approval_id in self._pending:
            await self._finish(
                approval_id, Resolution(outcome=Outcome.CANCELLED, decided_by=None, reason=reason)
            )

    async def cancel_session(self, session_id: str, *, reason: str = "session cancelled") -> None:
        """Cancel every pending request of a session."""
        for approval in self.pending():
            if approval.session_id == session_id:
                await self.cancel(approval.approval_id, reason=reason)

    async def _finish(
        self, approval_id: str, resolution: Resolution, *, record: bool = True
    ) -> Resolution:
        entry = self._pending.pop(approval_id, None)
        if entry is None:
            raise ApprovalError(f"approval {approval_id!r} was already answered")
        if not self._pending:
            self._waiting.clear()
        approval, future = entry
        resolution = replace(resolution, approval_id=approval_id)
        if record:
            actor = f"human:{resolution.decided_by}" if resolution.decided_by else "auth"
            await self._store.append_durable(
                approval.session_id,
                actor,
                ApprovalResolved(
                    approval_id=approval_id,
                    outcome=resolution.outcome.value,
                    decided_by=resolution.decided_by,
                    reason=resolution.reason,
                    added_rule=resolution.added_rule,
                ),
            )
        if not future.done():
            future.set_result(resolution)
        self._tell(RequestResolved(approval, resolution))
        return resolution

    def _tell(self, event: BrokerEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    async def sync_external(self) -> int:
        """Apply answers written by other processes (``quarterdeck approve``); returns how many."""
        if not self._pending:
            return 0
        views = await asyncio.to_thread(approvals_by_id, self._store.engine, list(self._pending))
        applied = 0
        for view in views:
            if view.pending or view.approval_id not in self._pending:
                continue
            resolution = Resolution(
                outcome=Outcome(view.state), decided_by=view.decided_by, reason=view.reason
            )
            await self._finish(view.approval_id, resolution, record=False)
            applied += 1
        return applied

    async def follow_external(self, stop: asyncio.Event, *, interval_s: float = 0.25) -> None:
        """Poll for answers from other terminals until ``stop`` is set (a worker's body): every
        ``interval_s`` while a request of this process waits, not at all while none does."""
        while not stop.is_set():
            if not self._pending:
                await _first_of(stop, self._waiting)
                continue
            await self.sync_external()
            try:
                await asyncio.wait_for(stop.wait(), interval_s)
            except TimeoutError:
                continue


async def _first_of(*events: asyncio.Event) -> None:
    """Wait until one of ``events`` is set."""
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
