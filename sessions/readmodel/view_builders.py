"""Mutable drafts of the view values: what the reducer changes in place between two snapshots.

Folding a record into frozen values copies the agent, the session and the console each time,
which made a 100,000-event replay take seconds. A draft is thawed from a frozen value the first
time a record changes it, is changed in place by the records that follow, and is frozen again
only when someone asks for the view (once per frame live, once per snapshot in replay). Freezing
reuses what did not change: an untouched agent or session, an output tail or an activity row
that no record since the last freeze added to, is the same object as before — widgets compare
by identity to skip work. Nothing here is shared with a frozen value, so a view handed out is
never changed afterwards.
"""

from __future__ import annotations

from datetime import datetime

from sessions.readmodel.views import (
    ACTIVITY_BUCKET_S,
    OUTPUT_LINE_CHARS,
    OUTPUT_TAIL_LINES,
    AgentView,
    OpenCall,
    PendingApprovalView,
    QueuedMessage,
    SessionView,
)

OPEN_CALLS_MAX = 64
"""Calls whose result never comes (a crash) must not grow a session's open calls forever."""


class AgentDraft:
    """An :class:`~sessions.readmodel.views.AgentView` being changed in place."""

    __slots__ = (
        "_activity_t",
        "_frozen",
        "_tail_t",
        "activity",
        "activity_bucket",
        "agent_id",
        "attempts",
        "backend",
        "context_size",
        "context_used",
        "costs",
        "current_tool",
        "drifted",
        "last_error",
        "output_tail",
        "queued",
        "retries",
        "role",
        "sandbox",
        "state",
        "tail_open",
    )

    def __init__(self, view: AgentView) -> None:
        self.agent_id = view.agent_id
        self.role = view.role
        self.backend = view.backend
        self.state = view.state
        self.current_tool = view.current_tool
        self.output_tail = list(view.output_tail)
        self.activity = list(view.activity)
        self.activity_bucket = view.activity_bucket
        self.attempts = view.attempts
        self.retries = view.retries
        self.last_error = view.last_error
        self.tail_open = view.tail_open
        self.sandbox = view.sandbox
        self.drifted = view.drifted
        self.queued: tuple[QueuedMessage, ...] = view.queued
        self.context_used = view.context_used
        self.context_size = view.context_size
        self.costs = view.costs
        self._tail_t: tuple[str, ...] | None = view.output_tail
        self._activity_t: tuple[int, ...] | None = view.activity
        self._frozen: AgentView | None = view

    def touch(self) -> None:
        """Say the draft is about to change: the next freeze builds a new value."""
        self._frozen = None

    def add_output(self, text: str, source: str) -> None:
        """Add streamed ``text`` to the output tail; a chunk from the source whose last line is
        still open continues that line."""
        lines = self.output_tail
        if lines and self.tail_open == source:
            text = lines.pop() + text
        new = [line.removesuffix("\r") for line in text.split("\n")]
        still_open = source if not text.endswith("\n") else None
        if still_open is None:
            new.pop()  # the empty string after the final newline
        lines.extend(_cap(line) for line in new[-OUTPUT_TAIL_LINES:])
        del lines[:-OUTPUT_TAIL_LINES]
        self.tail_open = still_open
        self._tail_t = None

    def count_activity(self, ts: str) -> None:
        """Count one more record in the activity bucket of ``ts``."""
        bucket = _bucket(ts)
        if bucket is None:
            return
        counts, last = self.activity, self.activity_bucket
        size = len(counts)
        if last == 0 or bucket - last >= size:
            counts[:] = [0] * size
            last = bucket
        elif bucket > last:
            del counts[: bucket - last]
            counts.extend([0] * (bucket - last))
            last = bucket
        index = size - 1 - (last - bucket)  # an out-of-order time lands in its own bucket
        self.activity_bucket = last
        if index >= 0:
            counts[index] += 1
        self._activity_t = None

    def freeze(self) -> AgentView:
        """The frozen value of this draft (the same object until the draft changes again)."""
        if self._frozen is None:
            if self._tail_t is None:
                self._tail_t = tuple(self.output_tail)
            if self._activity_t is None:
                self._activity_t = tuple(self.activity)
            self._frozen = AgentView(
                agent_id=self.agent_id,
                role=self.role,
                backend=self.backend,
                state=self.state,
                current_tool=self.current_tool,
                output_tail=self._tail_t,
                activity=self._activity_t,
                activity_bucket=self.activity_bucket,
                attempts=self.attempts,
                retries=self.retries,
                last_error=self.last_error,
                tail_open=self.tail_open,
                sandbox=self.sandbox,
                drifted=self.drifted,
                queued=self.queued,
                context_used=self.context_used,
                context_size=self.context_size,
                costs=self.costs,
            )
        return self._frozen


_last_second: list[tuple[str, int]] = [("", 0)]


def _bucket(ts: str) -> int | None:
    """The activity bucket of the record time ``ts`` (None when it is not a time).

    The store writes ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; with whole-second buckets, records of the
    same second share a bucket, so the last second's bucket is kept (records come in order).
    """
    key = ts[:19] if len(ts) == 27 and ts[26] == "Z" else ""
    last = _last_second[0]
    if key and last[0] == key:
        return last[1]
    try:
        bucket = int(datetime.fromisoformat(ts).timestamp() // ACTIVITY_BUCKET_S)
    except ValueError:
        return None
    if key and ACTIVITY_BUCKET_S.is_integer():
        _last_second[0] = (key, bucket)
    return bucket


def _cap(line: str) -> str:
    """``line`` cut to its last :data:`OUTPUT_LINE_CHARS` characters, marked with "…"."""
    if len(line) <= OUTPUT_LINE_CHARS:
        return line
    return "…" + line[1 - OUTPUT_LINE_CHARS :]


class SessionDraft:
    """A :class:`~sessions.readmodel.views.SessionView` being changed in place; its agents are thawed one
    by one, when a record first changes each."""

    __slots__ = (
        "_frozen",
        "_pending_t",
        "agents",
        "agents_started",
        "attempt",
        "created_ts",
        "drifted",
        "escalations",
        "event_count",
        "finished_outcome",
        "last_checkpoint",
        "last_known_good",
        "open_calls",
        "pending",
        "queue_changed",
        "role_attempts",
        "session_id",
        "state",
        "team",
        "title",
        "updated_ts",
        "workspace",
    )

    def __init__(self, view: SessionView) -> None:
        self.session_id = view.session_id
        self.title = view.title
        self.state = view.state
        self.workspace = view.workspace
        self.team = view.team
        self.created_ts = view.created_ts
        self.updated_ts = view.updated_ts
        self.agents: dict[str, AgentView | AgentDraft] = {a.agent_id: a for a in view.agents}
        self.pending = list(view.pending)
        self.event_count = view.event_count
        self.attempt = view.attempt
        self.last_checkpoint = view.last_checkpoint
        self.last_known_good = view.last_known_good
        self.finished_outcome = view.finished_outcome
        self.escalations = view.escalations
        self.drifted = view.drifted
        self.role_attempts = dict(view.role_attempts)
        self.agents_started = view.agents_started
        self.open_calls: dict[str, OpenCall] = {}
        for call in view.open_calls:
            self.open_calls.setdefault(call.call_id, call)  # a call id's first entry is used
        self._pending_t: tuple[PendingApprovalView, ...] | None = view.pending
        self.queue_changed = False
        """Set when the approvals queue changes; whoever keeps the console-wide queue clears it."""
        self._frozen: SessionView | None = view

    def touch(self) -> None:
        """Say the draft is about to change: the next freeze builds a new value."""
        self._frozen = None

    def agent(self, agent_id: str) -> AgentDraft:
        """The agent ``agent_id`` to change in place, added (last) if not seen yet."""
        agent = self.agents.get(agent_id)
        if not isinstance(agent, AgentDraft):
            agent = AgentDraft(agent if agent is not None else AgentView(agent_id=agent_id))
            self.agents[agent_id] = agent
        agent.touch()
        return agent

    def has_agent(self, agent_id: str) -> bool:
        """Whether the session has seen the agent."""
        return agent_id in self.agents

    def role_agents(self, role: str) -> list[AgentDraft]:
        """Every agent of ``role``, to change in place."""
        ids = [i for i, a in self.agents.items() if a.role == role]
        return [self.agent(i) for i in ids]

    def add_pending(self, view: PendingApprovalView) -> None:
        """Queue an approval request."""
        self.pending.append(view)
        self._pending_t = None
        self.queue_changed = True

    def drop_pending(self, view: PendingApprovalView | None = None) -> None:
        """Take one request (or, with ``None``, every request) off the queue."""
        if view is None:
            self.pending.clear()
        else:
            self.pending = [p for p in self.pending if p is not view]
        self._pending_t = None
        self.queue_changed = True

    def role_attempt(self, role: str) -> int:
        """The ``attempt`` of the latest handoff to ``role`` (1 before any)."""
        return self.role_attempts.get(role, 1)

    def open_call(self, call_id: str) -> OpenCall | None:
        """The open gate-side call ``call_id``, if any."""
        return self.open_calls.get(call_id)

    def add_call(self, call: OpenCall) -> None:
        """Open a gate-side call (a call id already open keeps its first entry)."""
        self.open_calls.setdefault(call.call_id, call)
        while len(self.open_calls) > OPEN_CALLS_MAX:
            del self.open_calls[next(iter(self.open_calls))]

    def freeze(self) -> SessionView:
        """The frozen value of this draft (the same object until the draft changes again)."""
        if self._frozen is None:
            if self._pending_t is None:
                self._pending_t = tuple(self.pending)
            agents = tuple(
                a.freeze() if isinstance(a, AgentDraft) else a for a in self.agents.values()
            )
            self._frozen = SessionView(
                session_id=self.session_id,
                title=self.title,
                state=self.state,
                workspace=self.workspace,
                team=self.team,
                created_ts=self.created_ts,
                updated_ts=self.updated_ts,
                agents=agents,
                pending=self._pending_t,
                event_count=self.event_count,
                attempt=self.attempt,
                last_checkpoint=self.last_checkpoint,
                last_known_good=self.last_known_good,
                finished_outcome=self.finished_outcome,
                escalations=self.escalations,
                drifted=self.drifted,
                role_attempts=tuple(self.role_attempts.items()),
                open_calls=tuple(self.open_calls.values()),
                agents_started=self.agents_started,
            )
        return self._frozen
