"""The session state machine refuses every transition it does not list."""

from __future__ import annotations

import itertools

import pytest

from agents.orchestrator.transitions import ALLOWED, IllegalTransitionError, check_transition
from sessions.schema.session import TERMINAL_STATES, SessionState


@pytest.mark.parametrize(("current", "target"), list(itertools.product(SessionState, SessionState)))
def test_only_listed_transitions_pass(current: SessionState, target: SessionState) -> None:
    if target in ALLOWED[current]:
        check_transition(current, target)
    else:
        with pytest.raises(IllegalTransitionError):
            check_transition(current, target)


def test_finished_sessions_never_change() -> None:
    for state in TERMINAL_STATES:
        assert ALLOWED[state] == frozenset()
    with pytest.raises(IllegalTransitionError, match="never changes"):
        check_transition(SessionState.SUCCEEDED, SessionState.RUNNING)


def test_every_live_state_can_be_cancelled() -> None:
    for state in set(SessionState) - TERMINAL_STATES:
        assert SessionState.CANCELLED in ALLOWED[state]
