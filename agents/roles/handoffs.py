"""What each handoff between roles carries, and the check that a handoff carries exactly that.

The role modules beside this one say which of these models each role receives and hands over;
this module is the vocabulary and the ``(from, to)`` table the orchestrator checks against.

A handoff is recorded as a ``handoff`` event whose ``content`` is one of the models below,
dumped to JSON. Checking the content against the model for its ``(from, to)`` pair before it is
recorded means a malformed handoff fails its sender at once, naming the field, instead of
confusing the next agent.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sessions.errors import QuarterdeckError
from sessions.schema.flow import HandoffMade
from sessions.schema.session import SessionContext


class HandoffError(QuarterdeckError):
    """A handoff's content does not match its model, or no such handoff exists."""


class HandoffModel(BaseModel):
    """The base of every handoff: frozen, and refusing fields it does not name."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ResearchNotes(HandoffModel):
    """Researcher → planner: what was found, and where."""

    notes: str
    references: list[str] = Field(default_factory=list)


class PlanHandoff(HandoffModel):
    """Planner → orchestrator: the steps, the constraints and how success is judged."""

    plan: list[str]
    constraints: list[str] = Field(default_factory=list)
    success_criteria: list[str] = Field(default_factory=list)


class TaskHandoff(HandoffModel):
    """Orchestrator → implementer: the task, its context, and what failed last time."""

    task: str
    context: SessionContext
    attempt: int = Field(default=1, ge=1)
    failures: list[str] = Field(default_factory=list)


class ImplementationReport(HandoffModel):
    """Implementer → validator and implementer → reviewer: what was done, on which attempt."""

    summary: str
    attempt: int = Field(ge=1)


class ValidationFailure(HandoffModel):
    """Validator → implementer: the checks that failed and their output."""

    checks: list[str]
    output: str
    attempt: int = Field(ge=1)


class ReviewVerdict(HandoffModel):
    """Reviewer → orchestrator: approve, or request changes with comments."""

    approved: bool
    comments: str = ""


HANDOFFS: Mapping[tuple[str, str], type[BaseModel]] = {
    ("researcher", "planner"): ResearchNotes,
    ("planner", "orchestrator"): PlanHandoff,
    ("orchestrator", "implementer"): TaskHandoff,
    ("implementer", "validator"): ImplementationReport,
    ("implementer", "reviewer"): ImplementationReport,
    ("validator", "implementer"): ValidationFailure,
    ("reviewer", "orchestrator"): ReviewVerdict,
}
"""The model of every known handoff, by ``(from_role, to_role)``."""


def _name(from_role: str, to_role: str) -> str:
    return f"handoff {from_role} -> {to_role}"


def handoff_model(from_role: str, to_role: str) -> type[BaseModel]:
    """The model a ``from_role`` → ``to_role`` handoff carries; ``HandoffError`` if none."""
    model = HANDOFFS.get((from_role, to_role))
    if model is None:
        known = ", ".join(f"{a} -> {b}" for a, b in HANDOFFS)
        raise HandoffError(f"no {_name(from_role, to_role)} is defined (known: {known})")
    return model


def validate_handoff(from_role: str, to_role: str, content: Mapping[str, object]) -> BaseModel:
    """Parse ``content`` as the model of its handoff; ``HandoffError`` names the first bad field."""
    model = handoff_model(from_role, to_role)
    try:
        return model.model_validate(dict(content))
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "content"
        raise HandoffError(
            f"{_name(from_role, to_role)} ({model.__name__}): field {field!r}: {error['msg']}"
        ) from exc


def handoff_event(
    from_role: str,
    to_role: str,
    model: BaseModel,
    *,
    reason: str = "",
    attempt: int = 1,
) -> HandoffMade:
    """The ``handoff`` event payload for ``model``, which must be its handoff's model."""
    expected = handoff_model(from_role, to_role)
    if type(model) is not expected:
        raise HandoffError(
            f"{_name(from_role, to_role)} carries {expected.__name__}, not {type(model).__name__}"
        )
    return HandoffMade(
        from_role=from_role,
        to_role=to_role,
        reason=reason,
        content=model.model_dump(mode="json"),
        attempt=attempt,
    )
