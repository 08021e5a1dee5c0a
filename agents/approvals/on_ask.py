"""What a headless run does when the policy asks, apart from the code that does it.

The CLI parses ``--on-ask`` and the console's boot carries it before the first paint; naming it
here lets them do so without loading the broker (SQLAlchemy and the shell parser, most of a
second). :mod:`~agents.approvals.autoanswer` carries it out.
"""

from __future__ import annotations

from enum import StrEnum


class OnAsk(StrEnum):
    """What a headless run does when the policy asks."""

    ALLOW = "allow"
    DENY = "deny"
    WAIT = "wait"
