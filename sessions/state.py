"""The one read model: a pure reducer that folds committed records into the console's views.

``reduce(state, record)`` returns a new :class:`~sessions.views.ConsoleView`; only the session
and the agent a record touches are rebuilt. The live bridge and replay both call it, so what a
user sees live and in replay is the same value. A record whose ``seq`` is not past the last one
folded is ignored, so a batch delivered twice changes nothing.

Agent state rules (what the agent panel shows):

- ``agent.started`` → idle, with its role and backend (a restart clears the last error).
- ``agent.message`` / ``agent.thought`` / ``agent.plan`` → thinking.
- ``tool.requested`` from the gate (not ``announced``) and ``tool.intent`` → running_tool, with
  the call as ``current_tool``; an agent's own announcements only count as activity.
- ``tool.result`` → thinking, ``current_tool`` cleared.
- ``approval.requested`` → awaiting_approval; ``approval.resolved`` → running_tool again (a denial
  is followed by a ``denied`` result, which moves it on to thinking).
- ``retry.scheduled`` for the operation ``"<role> turn"`` → retrying, for every agent of that
  role; its retry counter goes up and the error becomes ``last_error``.
- ``agent.failed`` → failed with ``last_error``.
- ``agent.stopped`` → done when the reason is ``stopped`` or ``cancelled``, otherwise (``end_turn``
  and ACP's other turn endings) idle.
- ``session.finished`` → every agent done, except failed ones, which stay failed.

Agents appear, in first-seen order, when a record names them (``agent_id``); tool events with
only a ``call_id`` reach their agent through the session's open gate-side calls. ``attempts`` is
the ``attempt`` of the latest handoff to the agent's role; the session's ``attempt`` follows
handoffs to the implementer. The output tail holds the last lines of an agent's messages and of
its commands' streamed output; activity counts every record it caused per bucket of record
time. Unknown kinds, ``raw`` records and payloads that fail validation only count as activity.

``rollback`` moves ``last_checkpoint`` to the checkpoint restored and shows in the timeline:
rollback resets files, not this view, until the time-travel screen rebuilds the view by folding
the log up to ``to_seq``. Policy reloads and rejections (the ``_system`` session) feed
:class:`~sessions.views.PolicyStatus`, never a session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TypeAlias, assert_never, cast

from sessions import schema as ev
from sessions.record import Record
from sessions.schema.base import SYSTEM_SESSION
from sessions.schema.session import TERMINAL_STATES, SessionState
from sessions.timeline import parse_record, timeline_entry
from sessions.views import (
    AgentState,
    AgentView,
    CheckpointRef,
    ConsoleView,
    PendingApprovalView,
    PolicyStatus,
    SessionView,
)

__all__ = ["Event", "fold", "parse_event", "reduce", "timeline_entry"]

Event: TypeAlias = (
    ev.SessionCreated | ev.SessionStateChanged | ev.SessionFinished
    | ev.AgentStarted | ev.AgentMessage | ev.AgentThought | ev.AgentPlan
    | ev.AgentStopped | ev.AgentFailed
    | ev.ToolCallRequested | ev.ToolIntent | ev.ToolOutput | ev.ToolResult
    | ev.AgentControlled
    | ev.PolicyDecided | ev.ApprovalRequested | ev.ApprovalResolved
    | ev.PolicyReloaded | ev.PolicyRejected
    | ev.HandoffMade | ev.ValidationFinished | ev.CheckpointTaken | ev.RolledBack
    | ev.RetryScheduled | ev.EscalationRaised | ev.MemorySet | ev.MemoryPurged | ev.RawRecorded
)  # fmt: skip
"""Every payload of SessionSchema v1; the reducer's ``match`` must cover each one."""

_ACTIVE = frozenset({SessionState.RUNNING, SessionState.AWAITING_APPROVAL})
_DONE_REASONS = frozenset({"stopped", "cancelled"})
_OPEN_CALLS_MAX = 64  # calls whose result never comes (a crash) must not grow the view forever
AgentChange = Callable[[AgentView], AgentView]


def parse_event(record: Record) -> Event | None:
    """The record's payload as one of the union's members (every payload class is one)."""
    return cast("Event | None", parse_record(record))


def fold(records: Iterable[Record], state: ConsoleView | None = None) -> ConsoleView:
    """Fold ``records`` in order into ``state`` (an empty console when ``None``)."""
    view = state if state is not None else ConsoleView()
    for record in records:
        view = reduce(view, record)
    return view


_UNPARSED: Event | None = cast("Event", object())


def reduce(state: ConsoleView, record: Record, event: Event | None = _UNPARSED) -> ConsoleView:
    """The console after ``record``; ``state`` itself is never changed. ``event`` is the
    record's parsed payload when the caller already has it (parsing is most of the cost)."""
    if record.seq <= state.last_seq:
        return state
    if event is _UNPARSED:
        event = parse_event(record)
    policy = _policy(state.policy, event)
    if record.session_id == SYSTEM_SESSION:
        return replace(state, last_seq=record.seq, policy=policy)
    old = state.session(record.session_id)
    session = old or SessionView(session_id=record.session_id, created_ts=record.ts)
    actor = _agent_of(session, event, record)  # before the result of a call closes it
    if event is not None:
        session = _apply(session, event, record)
    agents = session.agents
    if actor is not None:
        agents = session.agents_with(actor, lambda a: a.with_activity(record.ts))
    count = session.event_count + 1
    session = replace(session, agents=agents, event_count=count, updated_ts=record.ts)
    sessions, pending, running = _store(state, old, session)
    return ConsoleView(
        sessions=sessions, pending=pending, policy=policy, running=running, last_seq=record.seq
    )


def _store(
    state: ConsoleView, old: SessionView | None, new: SessionView
) -> tuple[tuple[SessionView, ...], tuple[PendingApprovalView, ...], int]:
    """The sessions with ``new`` in place of ``old``, the approvals queue and the running count;
    the queue and the count are recomputed only when the session's own changed."""
    if old is None:
        sessions = (*state.sessions, new)
    else:
        i = next(i for i, s in enumerate(state.sessions) if s is old)
        sessions = (*state.sessions[:i], new, *state.sessions[i + 1 :])
    pending = state.pending
    if old is None or old.pending is not new.pending:
        others = [p for p in pending if p.session_id != new.session_id]
        pending = tuple(sorted([*others, *new.pending], key=lambda p: p.requested_seq))
    running = state.running
    if old is None or old.state != new.state:
        running = sum(1 for s in sessions if s.state in _ACTIVE)
    return sessions, pending, running


def _policy(status: PolicyStatus, event: Event | None) -> PolicyStatus:
    match event:
        case ev.PolicyReloaded():
            return PolicyStatus(event.policy_hash, event.path, event.rules, "ok", ())
        case ev.PolicyRejected():
            return replace(status, last_result="rejected", errors=tuple(event.errors))
        case ev.PolicyDecided() if status.hash is None:  # opened after the last reload
            return replace(status, hash=event.policy_hash, path=event.policy_path)
        case _:
            return status


def _apply(s: SessionView, event: Event, record: Record) -> SessionView:
    match event:
        case ev.SessionCreated():
            return replace(
                s, title=event.title, workspace=event.workspace, team=event.team,
                created_ts=record.ts,
            )  # fmt: skip
        case ev.SessionStateChanged():
            return s if s.state in TERMINAL_STATES else replace(s, state=event.to_state)
        case ev.SessionFinished():
            agents = tuple(_finish(a) for a in s.agents)
            return replace(
                s, state=event.outcome, finished_outcome=event.outcome, agents=agents, pending=()
            )
        case ev.AgentStarted():
            attempts = s.role_attempt(event.role)
            return s.with_agent(event.agent_id, lambda a: replace(
                a, role=event.role, backend=event.backend, state=AgentState.IDLE,
                current_tool=None, last_error=None, attempts=attempts,
            ))  # fmt: skip
        case ev.AgentMessage():
            return s.with_agent(event.agent_id, lambda a: replace(a, state=AgentState.THINKING).with_output(event.text, "message"))  # fmt: skip
        case ev.AgentControlled():
            controlled = AgentState.PAUSED if event.action == "pause" else AgentState.IDLE
            return s.with_agent(event.agent_id, _state(controlled))
        case ev.AgentThought() | ev.AgentPlan():
            return s.with_agent(event.agent_id, _state(AgentState.THINKING))
        case ev.AgentStopped():
            done = event.stop_reason in _DONE_REASONS
            state = AgentState.DONE if done else AgentState.IDLE
            # A turn's end also ends its last output line: the next turn starts a new one.
            return s.with_agent(event.agent_id, lambda a: replace(
                a, state=state, current_tool=None, tail_open=None
            ))  # fmt: skip
        case ev.AgentFailed():
            return s.with_agent(event.agent_id, lambda a: replace(
                a, state=AgentState.FAILED, current_tool=None, last_error=event.error
            ))  # fmt: skip
        case ev.ToolCallRequested():
            return s if event.announced else _requested(s, event)
        case ev.ToolIntent():
            if (call := s.open_call(event.call_id)) is None:
                return s  # an intent without a gate-side request names no agent
            return s.with_agent(call[1], _state(AgentState.RUNNING_TOOL, call[2]))
        case ev.ToolOutput():
            if (call := s.open_call(event.call_id)) is None:
                return s
            return s.with_agent(call[1], lambda a: a.with_output(event.text, event.call_id))
        case ev.ToolResult():
            if (call := s.open_call(event.call_id)) is None:
                return s
            calls = tuple(c for c in s.open_calls if c[0] != event.call_id)
            return replace(s, open_calls=calls).with_agent(call[1], _state(AgentState.THINKING))
        case ev.ApprovalRequested():
            return _approval_requested(s, event, record)
        case ev.ApprovalResolved():
            if (asked := _pending(s, event.approval_id)) is None:
                return s
            pending = tuple(p for p in s.pending if p is not asked)
            s = replace(s, pending=pending)
            return s.with_agent(asked.agent_id, lambda a: _resolved(a, s, asked.tool))
        case ev.HandoffMade():
            return _handoff(s, event)
        case ev.RetryScheduled():
            role = event.operation.removesuffix(" turn")
            if role == event.operation:
                return s
            return s.with_role(role, lambda a: replace(
                a, state=AgentState.RETRYING, retries=a.retries + 1, last_error=event.error
            ))  # fmt: skip
        case ev.CheckpointTaken():
            ref = CheckpointRef(event.checkpoint_id, event.at_seq, event.known_good)
            good_ref = ref if ref.known_good else s.last_known_good
            return replace(s, last_checkpoint=ref, last_known_good=good_ref)
        case ev.RolledBack():
            known = s.last_known_good
            good = known is not None and known.checkpoint_id == event.checkpoint_id
            return replace(
                s, last_checkpoint=CheckpointRef(event.checkpoint_id, event.to_seq, good)
            )
        case ev.EscalationRaised():
            return replace(s, escalations=s.escalations + 1)
        case (
            ev.PolicyDecided() | ev.PolicyReloaded() | ev.PolicyRejected() | ev.ValidationFinished()
            | ev.MemorySet() | ev.MemoryPurged() | ev.RawRecorded()
        ):  # fmt: skip
            return s
        case _:
            assert_never(event)


def _requested(s: SessionView, event: ev.ToolCallRequested) -> SessionView:
    label = f"{event.tool} {event.command or ' '.join(event.paths) or event.title}".strip()
    calls = (*s.open_calls, (event.call_id, event.agent_id, label))[-_OPEN_CALLS_MAX:]
    role = event.role or ""
    return replace(s, open_calls=calls).with_agent(event.agent_id, lambda a: replace(
        _learn_role(a, s, role), state=AgentState.RUNNING_TOOL, current_tool=label
    ))  # fmt: skip


def _approval_requested(s: SessionView, event: ev.ApprovalRequested, record: Record) -> SessionView:
    view = PendingApprovalView(
        approval_id=event.approval_id, session_id=s.session_id, agent_id=event.agent_id,
        role=event.role, tool=event.tool, summary=event.summary, command=event.command,
        diff=event.diff, risk=event.risk, requested_ts=record.ts, requested_seq=record.seq,
        rule_id=event.rule_id, paths=tuple(event.paths), cwd=event.cwd, reason=event.reason,
        owner=event.owner,
    )  # fmt: skip
    s = replace(s, pending=(*s.pending, view))
    asked = f"{event.tool} {event.command or event.summary}".strip()
    return s.with_agent(event.agent_id, lambda a: replace(
        _learn_role(a, s, event.role), state=AgentState.AWAITING_APPROVAL, current_tool=asked
    ))  # fmt: skip


def _pending(s: SessionView, approval_id: str) -> PendingApprovalView | None:
    return next((p for p in s.pending if p.approval_id == approval_id), None)


def _resolved(agent: AgentView, s: SessionView, tool: str) -> AgentView:
    still_waiting = any(p.agent_id == agent.agent_id for p in s.pending)
    state = AgentState.AWAITING_APPROVAL if still_waiting else AgentState.RUNNING_TOOL
    return replace(agent, state=state, current_tool=agent.current_tool or tool)


def _handoff(s: SessionView, event: ev.HandoffMade) -> SessionView:
    attempts = (
        *(p for p in s.role_attempts if p[0] != event.to_role),
        (event.to_role, event.attempt),
    )
    s = replace(s, role_attempts=attempts)
    if event.to_role == "implementer":
        s = replace(s, attempt=event.attempt)
    return s.with_role(event.to_role, lambda a: replace(a, attempts=event.attempt))


def _learn_role(agent: AgentView, s: SessionView, role: str) -> AgentView:
    """Name the role of an agent first seen without ``agent.started``, with its attempt."""
    if agent.role or not role:
        return agent
    return replace(agent, role=role, attempts=s.role_attempt(role))


def _agent_of(s: SessionView, event: Event | None, record: Record) -> str | None:
    """The agent whose activity this record is: named in the payload, by its call, or its actor."""
    named = getattr(event, "agent_id", None)
    if isinstance(named, str):
        return named
    call_id = getattr(event, "call_id", None)
    if isinstance(call_id, str) and (call := s.open_call(call_id)) is not None:
        return call[1]
    return record.actor if s.agent(record.actor) is not None else None


def _state(state: AgentState, tool: str | None = None) -> AgentChange:
    return lambda a: replace(a, state=state, current_tool=tool)


def _finish(agent: AgentView) -> AgentView:
    failed = agent.state is AgentState.FAILED
    return agent if failed else replace(agent, state=AgentState.DONE, current_tool=None)
