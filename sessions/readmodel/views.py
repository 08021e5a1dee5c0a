"""The console's view models: frozen values the reducer in :mod:`sessions.readmodel.reducer` builds.

Live view and replay both fold records into these same values, so a widget can only tell them
apart by a read-only flag. Every class is a frozen, slotted dataclass: the reducer changes its
own drafts (:mod:`sessions.readmodel.view_builders`) and hands out new values, never changing old ones, which
makes "the state before" safe to keep for time travel.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Literal, NamedTuple

from sessions.lifecycle import SessionState
from sessions.readmodel.usage import Money, RunCost, totals

if TYPE_CHECKING:  # the schema (pydantic) loads after the console's first paint
    from sessions.schema.policy import Risk

OUTPUT_TAIL_LINES = 20
"""How many lines of an agent's messages and tool output its panel keeps."""

OUTPUT_LINE_CHARS = 300
"""How much of one output line is kept: its end, the newest text, after an ellipsis. A message
streamed without newlines is one line that grows with every chunk; uncapped, each chunk would
copy and split all of it again (quadratic in the message's length)."""

ACTIVITY_BUCKETS = 30
"""How many time buckets an agent's activity sparkline holds."""

ACTIVITY_BUCKET_S = 2.0
"""The width of one activity bucket, in seconds of record time."""


class OpenCall(NamedTuple):
    """A gate-side tool call that has no result yet, and the agent that made it."""

    call_id: str
    agent_id: str
    tool: str
    """The tool and what it acts on, as the agent's panel shows it while the call runs."""


class QueuedMessage(NamedTuple):
    """A person's message to an agent that has not reached it yet (``human.message``)."""

    message_id: str
    text: str
    by: str


class AgentState(StrEnum):
    """What an agent is doing, as the console shows it in the agent's panel."""

    IDLE = "idle"
    THINKING = "thinking"
    RUNNING_TOOL = "running_tool"
    AWAITING_APPROVAL = "awaiting_approval"
    RETRYING = "retrying"
    PAUSED = "paused"
    FAILED = "failed"
    NEEDS_LOGIN = "needs_login"
    DONE = "done"


Category = Literal[
    "handoff",
    "tool",
    "decision",
    "approval",
    "validation",
    "checkpoint",
    "escalation",
    "error",
    "message",
    "state",
    "other",
]
"""The timeline's coarse kind of an entry; the filter (`/`) and the row colour use it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentView:
    """One agent of a session, as its live panel shows it."""

    agent_id: str
    role: str = ""
    backend: str = ""
    state: AgentState = AgentState.IDLE
    current_tool: str | None = None
    output_tail: tuple[str, ...] = ()
    activity: tuple[int, ...] = (0,) * ACTIVITY_BUCKETS
    activity_bucket: int = 0
    """The bucket number (record time // bucket width) of ``activity[-1]``; lets a widget shift."""
    attempts: int = 1
    retries: int = 0
    last_error: str | None = None
    tail_open: str | None = None
    """The source ("message" or a call id) whose last line is unfinished; its next chunk
    continues that line instead of starting a new one."""
    sandbox: str = ""
    """How its process is confined ("bwrap", "none"), "" when ``agent.started`` did not say."""
    drifted: int = 0
    """Files it changed, over all its turns, that no allowed action explains (drift)."""
    queued: tuple[QueuedMessage, ...] = ()
    """People's messages waiting for its turn to end or its next prompt, oldest first."""
    context_used: int | None = None
    """Tokens in its context at its last ``agent.usage``; None until it reports (or restarts)."""
    context_size: int | None = None
    """Its context window, in tokens, as last reported."""
    costs: tuple[RunCost, ...] = ()
    """The running total of each of its ACP sessions (``sessions.readmodel.usage``)."""

    @property
    def spent(self) -> tuple[Money, ...]:
        """What it cost so far, per currency."""
        return totals(self.costs)


@dataclass(frozen=True, slots=True, kw_only=True)
class TimelineEntry:
    """One row of a session's timeline; built from one record by ``timeline_entry``."""

    seq: int
    ts: str
    session_id: str
    actor: str
    kind: str
    summary: str
    category: Category
    agent_id: str | None = None
    decision: str | None = None
    rule_id: str | None = None
    decided_by: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingApprovalView:
    """An approval waiting for a human, as the approvals queue shows it."""

    approval_id: str
    session_id: str
    agent_id: str
    role: str
    tool: str
    summary: str
    command: str | None
    diff: str | None
    risk: Risk
    requested_ts: str
    requested_seq: int
    rule_id: str | None
    paths: tuple[str, ...] = ()
    cwd: str | None = None
    reason: str = ""
    owner: str | None = None
    """host:pid of the process waiting for the answer."""


@dataclass(frozen=True, slots=True)
class CheckpointRef:
    """The latest checkpoint of a session: where rollback would return to."""

    checkpoint_id: str
    seq: int
    known_good: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionView:
    """One session: its header, its agents in first-seen order and its pending approvals."""

    session_id: str
    title: str = ""
    state: SessionState = SessionState.CREATED
    workspace: str | None = None
    team: str | None = None
    created_ts: str = ""
    updated_ts: str = ""
    agents: tuple[AgentView, ...] = ()
    pending: tuple[PendingApprovalView, ...] = ()
    event_count: int = 0
    attempt: int = 1
    last_checkpoint: CheckpointRef | None = None
    last_known_good: CheckpointRef | None = None
    """The latest checkpoint taken after passing validation: where "roll back" usually goes."""
    finished_outcome: SessionState | None = None
    escalations: int = 0
    drifted: int = 0
    """Files its agents changed that no allowed action explains (``workspace.drift``)."""
    role_attempts: tuple[tuple[str, int], ...] = ()
    """The latest handoff ``attempt`` per receiving role; a late-starting agent inherits it."""
    open_calls: tuple[OpenCall, ...] = ()
    """Gate-side calls without a result yet: tool events that carry only a ``call_id`` find
    their agent here. Entries leave on ``tool.result``."""
    agents_started: int | None = None
    """Set while only the session's projection is known (the console folds a session when it
    is first shown): how many agents it started. ``agents`` then holds only those that live
    records named, and the fields the projection lacks keep their defaults. ``None``: folded."""

    def agent(self, agent_id: str) -> AgentView | None:
        """The agent with this id, or ``None`` if the session has not seen it."""
        return next((a for a in self.agents if a.agent_id == agent_id), None)

    @property
    def spent(self) -> tuple[Money, ...]:
        """What its agents cost so far, per currency (never added across currencies)."""
        return totals(cost for agent in self.agents for cost in agent.costs)


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyStatus:
    """The policy in force and how its last reload went, for the status bar and its banner."""

    hash: str | None = None
    path: str | None = None
    rules: int | None = None
    last_result: Literal["ok", "rejected"] | None = None
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsoleView:
    """Everything the dashboard shows: sessions in creation order, all pending approvals oldest
    first, the policy status and how many sessions are running."""

    sessions: tuple[SessionView, ...] = ()
    pending: tuple[PendingApprovalView, ...] = ()
    policy: PolicyStatus = PolicyStatus()
    running: int = 0
    last_seq: int = 0

    def session(self, session_id: str) -> SessionView | None:
        """The session with this id, or ``None`` if no record of it has been folded."""
        for view in self.sessions:
            if view.session_id == session_id:
                return view
        return None
