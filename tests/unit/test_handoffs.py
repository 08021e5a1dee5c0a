"""Handoff models: each pair carries its model, malformed content is refused naming the field."""

from __future__ import annotations

import pytest

from agents.roles.handoffs import (
    HANDOFFS,
    HandoffError,
    ImplementationReport,
    PlanHandoff,
    ResearchNotes,
    ReviewVerdict,
    TaskHandoff,
    ValidationFailure,
    handoff_event,
    handoff_model,
    validate_handoff,
)
from sessions.errors import QuarterdeckError
from sessions.schema.flow import HandoffMade
from sessions.schema.session import SessionContext


def test_the_registry_covers_the_workflow() -> None:
    assert {
        ("researcher", "planner"): ResearchNotes,
        ("planner", "orchestrator"): PlanHandoff,
        ("orchestrator", "implementer"): TaskHandoff,
        ("implementer", "validator"): ImplementationReport,
        ("implementer", "reviewer"): ImplementationReport,
        ("validator", "implementer"): ValidationFailure,
        ("reviewer", "orchestrator"): ReviewVerdict,
    } == HANDOFFS


def test_valid_content_parses_with_defaults() -> None:
    notes = validate_handoff("researcher", "planner", {"notes": "uses asyncio"})
    assert notes == ResearchNotes(notes="uses asyncio", references=[])
    plan = validate_handoff("planner", "orchestrator", {"plan": ["a", "b"]})
    assert isinstance(plan, PlanHandoff) and plan.constraints == [] and plan.success_criteria == []
    verdict = validate_handoff("reviewer", "orchestrator", {"approved": False, "comments": "no"})
    assert verdict == ReviewVerdict(approved=False, comments="no")


def test_a_task_carries_a_nested_session_context() -> None:
    task = validate_handoff(
        "orchestrator",
        "implementer",
        {"task": "fix it", "context": {"task": "fix it", "plan": ["one"]}, "attempt": 2},
    )
    assert isinstance(task, TaskHandoff)
    assert task.context == SessionContext(task="fix it", plan=["one"])
    assert task.attempt == 2 and task.failures == []


@pytest.mark.parametrize(
    ("pair", "content", "field"),
    [
        (("researcher", "planner"), {}, "'notes'"),
        (("researcher", "planner"), {"notes": "n", "extra": 1}, "'extra'"),
        (("planner", "orchestrator"), {"plan": "not a list"}, "'plan'"),
        (("implementer", "validator"), {"summary": "done"}, "'attempt'"),
        (("validator", "implementer"), {"checks": ["t"], "output": "x", "attempt": 0}, "'attempt'"),
        (("orchestrator", "implementer"), {"task": "t", "context": {}}, "'context.task'"),
        (("reviewer", "orchestrator"), {"approved": "perhaps"}, "'approved'"),
    ],
)
def test_malformed_content_names_the_handoff_and_field(
    pair: tuple[str, str], content: dict[str, object], field: str
) -> None:
    with pytest.raises(HandoffError) as caught:
        validate_handoff(*pair, content)
    message = str(caught.value)
    assert f"handoff {pair[0]} -> {pair[1]}" in message
    assert f"field {field}" in message
    assert isinstance(caught.value, QuarterdeckError)


def test_an_unknown_pair_is_refused() -> None:
    with pytest.raises(HandoffError, match="no handoff planner -> reviewer is defined"):
        validate_handoff("planner", "reviewer", {})
    with pytest.raises(HandoffError, match="known: researcher -> planner"):
        handoff_model("validator", "reviewer")


def test_models_are_frozen() -> None:
    verdict = ReviewVerdict(approved=True)
    with pytest.raises(ValueError, match="frozen"):
        verdict.approved = False  # type: ignore[misc]


def test_handoff_event_carries_the_json_dump() -> None:
    failure = ValidationFailure(checks=["pytest"], output="1 failed", attempt=2)
    event = handoff_event(
        "validator", "implementer", failure, reason="validation failed", attempt=2
    )
    assert event == HandoffMade(
        from_role="validator",
        to_role="implementer",
        reason="validation failed",
        content={"checks": ["pytest"], "output": "1 failed", "attempt": 2},
        attempt=2,
    )
    assert event.KIND == "handoff"
    # Round trip: the recorded content validates back to the same model.
    assert validate_handoff("validator", "implementer", event.content) == failure


def test_handoff_event_refuses_the_wrong_model() -> None:
    with pytest.raises(HandoffError, match="carries ImplementationReport, not ReviewVerdict"):
        handoff_event("implementer", "reviewer", ReviewVerdict(approved=True))
