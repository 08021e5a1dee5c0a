"""The session state machine: which transitions are legal, and nothing else is."""

from __future__ import annotations

from sessions.errors import QuarterdeckError
from sessions.schema.session import TERMINAL_STATES, SessionState

S = SessionState

ALLOWED: dict[SessionState, frozenset[SessionState]] = {
    S.CREATED: frozenset({S.RUNNING, S.CANCELLED, S.FAILED}),
    S.RUNNING: frozenset(
        {S.AWAITING_APPROVAL, S.PAUSED, S.SUCCEEDED, S.FAILED, S.CANCELLED, S.INTERRUPTED}
    ),
    S.AWAITING_APPROVAL: frozenset({S.RUNNING, S.PAUSED, S.FAILED, S.CANCELLED, S.INTERRUPTED}),
    S.PAUSED: frozenset({S.RUNNING, S.CANCELLED, S.FAILED, S.INTERRUPTED}),
    S.INTERRUPTED: frozenset({S.RUNNING, S.CANCELLED, S.FAILED}),
    S.SUCCEEDED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
}
"""From each state, the states a session may move to."""


class IllegalTransitionError(QuarterdeckError):
    """A state change the state machine does not allow."""


def check_transition(current: SessionState, target: SessionState) -> None:
    """Raise ``IllegalTransitionError`` unless ``current → target`` is allowed."""
    if target not in ALLOWED[current]:
        final = " (a finished session never changes)" if current in TERMINAL_STATES else ""
        raise IllegalTransitionError(f"a session cannot go from {current} to {target}{final}")
