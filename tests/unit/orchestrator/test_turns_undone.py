"""Honest endings: which turns did not do their work (refused, cancelled), from the log."""

from __future__ import annotations

from agents.orchestrator.turns import TurnOutput, unfinished


def test_a_turn_whose_every_action_was_refused_did_not_do_its_work() -> None:
    refused = TurnOutput("done!", [], refused=2, worked=0)
    reason = unfinished("implementer", "end_turn", refused)
    assert reason is not None and "2 refused" in reason


def test_one_allowed_action_that_did_work_is_enough() -> None:
    assert unfinished("implementer", "end_turn", TurnOutput("", [], refused=3, worked=1)) is None


def test_a_turn_that_asked_for_nothing_was_not_refused() -> None:
    assert unfinished("implementer", "end_turn", TurnOutput("", [], refused=0, worked=0)) is None


def test_a_cancelled_or_refusing_turn_did_not_do_its_work() -> None:
    for stop in ("cancelled", "refusal"):
        reason = unfinished("implementer", stop, TurnOutput("", [], worked=5))
        assert reason is not None and stop in reason
    assert unfinished("implementer", "max_tokens", None) is None
