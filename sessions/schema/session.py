"""Session lifecycle events: created, state changed, finished; its budget reached and raised."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from sessions.lifecycle import TERMINAL_STATES, SessionState
from sessions.schema.base import Payload

__all__ = [
    "TERMINAL_STATES",
    "BudgetRaised",
    "BudgetReached",
    "ForkOrigin",
    "SessionContext",
    "SessionCreated",
    "SessionFinished",
    "SessionState",
    "SessionStateChanged",
]


class SessionContext(BaseModel):
    """The context document handed to every agent of a session."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: str
    constraints: list[str] = Field(default_factory=list)
    success_criteria: list[str] = Field(default_factory=list)
    plan: list[str] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    feedback: list[str] = Field(default_factory=list)
    """Changes a review of an earlier session asked for: this session makes them."""


class ForkOrigin(BaseModel):
    """Where a forked session came from: the source session and the last copied ``seq``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    session_id: str
    seq: int


class SessionCreated(Payload):
    """A session was created with a title, a workspace and the context its agents receive."""

    KIND = "session.created"

    title: str
    workspace: str | None = None
    team: str | None = None
    context: SessionContext | None = None
    origin: ForkOrigin | None = None


class SessionStateChanged(Payload):
    """The session moved from one state to another, with the reason."""

    KIND = "session.state_changed"

    from_state: SessionState
    to_state: SessionState
    reason: str = ""


class SessionFinished(Payload):
    """The session reached a terminal state; the chain head is anchored at this point."""

    KIND = "session.finished"

    outcome: SessionState
    summary: str = ""


class BudgetReached(Payload):
    """What the session's agents cost passed its budget (``[workflow] budget``): it waits for
    a person to say whether it may go on."""

    KIND = "budget.reached"

    spent: float
    limit: float
    currency: str


class BudgetRaised(Payload):
    """A person let the session go on past its budget: the new limit, for this session only."""

    KIND = "budget.raised"

    limit: float
    currency: str
    by: str | None = None
