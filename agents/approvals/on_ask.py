"""What a headless run does when the policy asks, apart from the code that does it.

The CLI parses ``--on-ask`` before anything slow is loaded (``run --help``, the console
``demo`` opens); naming it here lets it do so without loading the broker (SQLAlchemy and the
shell parser, most of a second). :mod:`~agents.approvals.autoanswer` carries it out.
"""

from __future__ import annotations

from enum import StrEnum


class OnAsk(StrEnum):
    """What a headless run does when the policy asks."""

    ALLOW = "allow"
    DENY = "deny"
    WAIT = "wait"
