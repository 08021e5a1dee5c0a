"""The one read model: the reducer that folds committed records into the console's views.

A :class:`Folder` folds records into mutable drafts (:mod:`sessions.readmodel.view_builders`) and hands out a
frozen :class:`~sessions.readmodel.views.ConsoleView` when asked: the live console asks once per batch,
replay once per snapshot, so a record costs a few attribute writes instead of copies of its
agent, its session and the console. ``reduce(state, record)`` and ``fold(records, state)`` are
the pure forms, built on a folder thawed from ``state``. The live bridge and replay both fold
through it, so what a user sees live and in replay is the same value. A record whose ``seq``
is not past the last one folded is ignored, so a batch delivered twice changes nothing.

Agent state rules (what the agent panel shows):

- ``agent.started`` → idle, with its role, backend and sandbox (a restart clears the last error).
- ``workspace.drift`` → the agent's and its session's ``drifted`` grow by the files listed: a
  flag that stays (the escalation it comes with is what a person answers).
- ``agent.message`` / ``agent.thought`` / ``agent.plan`` → thinking.
- ``tool.requested`` from the gate (not ``announced``) and ``tool.intent`` → running_tool, with
  the call as ``current_tool``; an agent's own announcements only count as activity.
- ``tool.result`` → thinking, ``current_tool`` cleared.
- ``approval.requested`` → awaiting_approval; ``approval.resolved`` → running_tool again (a denial
  is followed by a ``denied`` result, which moves it on to thinking).
- ``retry.scheduled`` for the operation ``"<role> turn"`` → retrying, for every agent of that
  role; its retry counter goes up and the error becomes ``last_error``.
- ``agent.failed`` → failed with ``last_error`` (needs_login when ``login_required``).
- ``agent.stopped`` → done when the reason is ``stopped`` or ``cancelled``, otherwise (``end_turn``
  and ACP's other turn endings) idle; a failed (or needs_login) agent stays so.
- ``agent.history_replayed`` → nothing: reloaded history is not new work.
- ``agent.usage`` → its context and its ACP session's running cost (``readmodel.usage``); the
  state is untouched. ``agent.started`` forgets the context (never the costs).
- ``session.finished`` → every agent done, except failed (and needs_login) ones, which stay;
  messages still queued are cleared (the session ended: no turn will hear them).
- ``human.message`` → the message joins the agent's ``queued`` (its role is learned);
  ``human.message_delivered`` and ``human.message_dropped`` take it out again. The state is
  untouched: a message is not work.

Agents appear, in first-seen order, when a record names them (``agent_id``); tool events with
only a ``call_id`` reach their agent through the session's open gate-side calls. ``attempts`` is
the ``attempt`` of the latest handoff to the agent's role; the session's ``attempt`` follows
handoffs to the implementer. The output tail holds the last lines of an agent's messages and of
its commands' streamed output; activity counts every record it caused per bucket of record
time. Unknown kinds, ``raw`` records and payloads that fail validation only count as activity.

``rollback`` moves ``last_checkpoint`` to the checkpoint restored and shows in the timeline:
rollback resets files, not this view, until the time-travel screen rebuilds the view by folding
the log up to ``to_seq``. Policy reloads and rejections (the ``_system`` session) feed
:class:`~sessions.readmodel.views.PolicyStatus`, never a session.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import assert_never, cast

from sessions import schema as ev
from sessions.readmodel.draft_steps import (
    agent_of,
    approval_requested,
    approval_resolved,
    handoff,
    learn_role,
    requested,
    set_state,
    usage,
)
from sessions.readmodel.events import Event, parse_event
from sessions.readmodel.timeline import timeline_entry
from sessions.readmodel.view_builders import SessionDraft
from sessions.readmodel.views import (
    AgentState,
    CheckpointRef,
    ConsoleView,
    PolicyStatus,
    QueuedMessage,
    SessionView,
)
from sessions.schema import worktree as wt
from sessions.schema.base import SYSTEM_SESSION
from sessions.schema.session import TERMINAL_STATES, SessionState
from sessions.store.record import Record

__all__ = ["Event", "Folder", "fold", "parse_event", "policy_status", "reduce", "timeline_entry"]


_ACTIVE = frozenset({SessionState.RUNNING, SessionState.AWAITING_APPROVAL})
_DONE_REASONS = frozenset({"stopped", "cancelled"})
_STUCK = frozenset({AgentState.FAILED, AgentState.NEEDS_LOGIN})
"""States only a new ``agent.started`` leaves: a failed agent stays failed until it restarts."""


_UNPARSED: Event | None = cast("Event", object())


class Folder:
    """Folds records in ``seq`` order; :meth:`view` is the frozen console so far."""

    def __init__(self, state: ConsoleView | None = None) -> None:
        state = state if state is not None else ConsoleView()
        self._sessions: dict[str, SessionView | SessionDraft] = {
            s.session_id: s for s in state.sessions
        }
        self._dirty: dict[str, SessionDraft] = {}
        self._policy = state.policy
        self._pending = state.pending
        self._last_seq = state.last_seq
        self._frozen: ConsoleView | None = state
        self._queue_stale = False

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the last record folded (0 when none)."""
        return self._last_seq

    def add(self, record: Record, event: Event | None = _UNPARSED) -> bool:
        """Fold one record (``event``: its parsed payload when the caller has it); ``False``
        when its ``seq`` is not past the last one folded and it was ignored."""
        if record.seq <= self._last_seq:
            return False
        if event is _UNPARSED:
            event = parse_event(record)
        self._frozen = None
        self._last_seq = record.seq
        if type(event) in _POLICY_EVENTS:
            self._policy = _policy(self._policy, event)
        if record.session_id == SYSTEM_SESSION:
            return True
        s = self._draft(record)
        actor = agent_of(s, event, record)  # before the result of a call closes it
        if event is not None:
            _apply(s, event, record)
        if actor is not None:
            s.agent(actor).count_activity(record.ts)
        s.event_count += 1
        s.updated_ts = record.ts
        return True

    def replace(self, view: SessionView) -> None:
        """Put ``view`` in place of the session with its id: a session folded apart (from
        its own records, on a worker) takes the place of its outline."""
        self._sessions[view.session_id] = view
        self._dirty.pop(view.session_id, None)
        self._frozen = None
        self._queue_stale = True

    def session(self, session_id: str) -> SessionView | None:
        """The frozen session so far, or ``None`` if no record of it has been folded."""
        found = self._sessions.get(session_id)
        return found.freeze() if isinstance(found, SessionDraft) else found

    def view(self) -> ConsoleView:
        """The frozen console so far (the same object until another record is folded)."""
        if self._frozen is None:
            queue_changed, self._queue_stale = self._queue_stale, False
            for draft in self._dirty.values():
                queue_changed |= draft.queue_changed
                draft.queue_changed = False
            if queue_changed:
                queue = [p for s in self._sessions.values() for p in s.pending]
                self._pending = tuple(sorted(queue, key=lambda p: p.requested_seq))
            self._dirty.clear()
            sessions = tuple(
                s.freeze() if isinstance(s, SessionDraft) else s for s in self._sessions.values()
            )
            running = sum(1 for s in sessions if s.state in _ACTIVE)
            self._frozen = ConsoleView(
                sessions=sessions,
                pending=self._pending,
                policy=self._policy,
                running=running,
                last_seq=self._last_seq,
            )
        return self._frozen

    def _draft(self, record: Record) -> SessionDraft:
        found = self._sessions.get(record.session_id)
        if isinstance(found, SessionDraft):
            draft = found
        else:
            if found is None:
                found = SessionView(session_id=record.session_id, created_ts=record.ts)
            draft = self._sessions[record.session_id] = SessionDraft(found)
        draft.touch()
        self._dirty[record.session_id] = draft
        return draft


def policy_status(records: Iterable[Record]) -> PolicyStatus:
    """The policy status the records leave, in order (reloads, rejections and decisions)."""
    status = PolicyStatus()
    for record in records:
        status = _policy(status, parse_event(record))
    return status


def fold(records: Iterable[Record], state: ConsoleView | None = None) -> ConsoleView:
    """Fold ``records`` in order into ``state`` (an empty console when ``None``)."""
    folder = Folder(state)
    for record in records:
        folder.add(record)
    return folder.view()


def reduce(state: ConsoleView, record: Record, event: Event | None = _UNPARSED) -> ConsoleView:
    """The console after ``record``; ``state`` itself is never changed. ``event`` is the
    record's parsed payload when the caller already has it (parsing is most of the cost)."""
    folder = Folder(state)
    folder.add(record, event)
    return folder.view()


_POLICY_EVENTS = frozenset({ev.PolicyReloaded, ev.PolicyRejected, ev.PolicyDecided})


def _policy(status: PolicyStatus, event: Event | None) -> PolicyStatus:
    match event:
        case ev.PolicyReloaded():
            return PolicyStatus(
                hash=event.policy_hash,
                path=event.path,
                rules=event.rules,
                last_result="ok",
                errors=(),
            )
        case ev.PolicyRejected():
            return replace(status, last_result="rejected", errors=tuple(event.errors))
        case ev.PolicyDecided() if status.hash is None:  # opened after the last reload
            return replace(status, hash=event.policy_hash, path=event.policy_path)
        case _:
            return status


def _apply(s: SessionDraft, event: Event, record: Record) -> None:
    match event:  # the kinds agents stream most come first: a match tries its cases in order
        case ev.AgentMessage():
            a = s.agent(event.agent_id)
            a.state = AgentState.THINKING
            a.add_output(event.text, "message")
        case ev.ToolCallRequested():
            if not event.announced:
                requested(s, event)
        case ev.ToolResult():
            if (call := s.open_calls.pop(event.call_id, None)) is not None:
                set_state(s.agent(call.agent_id), AgentState.THINKING)
        case (
            ev.PolicyDecided()
            | ev.PolicyReloaded()
            | ev.PolicyRejected()
            | ev.ValidationFinished()
            | ev.MemorySet()
            | ev.MemoryPurged()
            | ev.RawRecorded()
            | ev.AgentHistoryReplayed()
            | ev.BudgetReached()
            | ev.BudgetRaised()
            | ev.ChangesRequested()
            | ev.ReviewAccepted()
            | wt.WorktreeCreated()
            | wt.WorktreeKept()
            | wt.WorktreeMerged()
            | wt.WorktreeDiscarded()
            | wt.WorktreeRefused()
        ):
            pass  # the timeline shows them (the console asks the supervisor for a worktree)
        case ev.AgentThought() | ev.AgentPlan():
            set_state(s.agent(event.agent_id), AgentState.THINKING)
        case ev.ToolOutput():
            if (call := s.open_call(event.call_id)) is not None:
                s.agent(call.agent_id).add_output(event.text, event.call_id)
        case ev.ToolIntent():
            if (call := s.open_call(event.call_id)) is not None:
                set_state(s.agent(call.agent_id), AgentState.RUNNING_TOOL, call.tool)
        case ev.SessionCreated():
            s.title, s.workspace, s.team = event.title, event.workspace, event.team
            s.created_ts = record.ts
        case ev.SessionStateChanged():
            if s.state not in TERMINAL_STATES:
                s.state = event.to_state
        case ev.SessionFinished():
            for agent_id, agent in list(s.agents.items()):
                if agent.state not in _STUCK:
                    set_state(s.agent(agent_id), AgentState.DONE)
                if agent.queued:
                    s.agent(agent_id).queued = ()
            s.state = s.finished_outcome = event.outcome
            s.drop_pending()
        case ev.AgentStarted():
            a = s.agent(event.agent_id)
            a.role, a.backend, a.attempts = event.role, event.backend, s.role_attempt(event.role)
            set_state(a, AgentState.IDLE)
            a.last_error = None
            a.sandbox = event.sandbox.kind if event.sandbox is not None else ""
            a.context_used = a.context_size = None
            if s.agents_started is not None:  # an outline counts what its projection counts
                s.agents_started += 1
        case ev.AgentUsage():
            usage(s.agent(event.agent_id), event)
        case ev.AgentControlled():
            paused = event.action == "pause"
            set_state(s.agent(event.agent_id), AgentState.PAUSED if paused else AgentState.IDLE)
        case ev.AgentStopped():
            a = s.agent(event.agent_id)
            if a.state not in _STUCK:  # stopping a failed agent leaves it failed
                set_state(
                    a, AgentState.DONE if event.stop_reason in _DONE_REASONS else AgentState.IDLE
                )
            a.tail_open = None  # a turn's end also ends its last output line
        case ev.AgentFailed():
            a = s.agent(event.agent_id)
            set_state(a, AgentState.NEEDS_LOGIN if event.login_required else AgentState.FAILED)
            a.last_error = event.error
        case ev.ApprovalRequested():
            approval_requested(s, event, record)
        case ev.ApprovalResolved():
            approval_resolved(s, event)
        case ev.HandoffMade():
            handoff(s, event)
        case ev.RetryScheduled():
            role = event.operation.removesuffix(" turn")
            for a in s.role_agents(role) if role != event.operation else ():
                a.state, a.retries, a.last_error = AgentState.RETRYING, a.retries + 1, event.error
        case ev.CheckpointTaken():
            ref = CheckpointRef(event.checkpoint_id, event.at_seq, event.known_good)
            s.last_checkpoint = ref
            if ref.known_good:
                s.last_known_good = ref
        case ev.RolledBack():
            known = s.last_known_good
            good = known is not None and known.checkpoint_id == event.checkpoint_id
            s.last_checkpoint = CheckpointRef(event.checkpoint_id, event.to_seq, good)
        case ev.EscalationRaised():
            s.escalations += 1
        case ev.WorkspaceDrift():
            s.agent(event.agent_id).drifted += event.total
            s.drifted += event.total
        case ev.HumanMessage():
            a = s.agent(event.agent_id)
            learn_role(a, s, event.role)
            a.queued = (*a.queued, QueuedMessage(event.message_id, event.text, event.by))
        case ev.HumanMessageDelivered() | ev.HumanMessageDropped():
            a = s.agent(event.agent_id)
            a.queued = tuple(m for m in a.queued if m.message_id != event.message_id)
        case _:
            assert_never(event)
