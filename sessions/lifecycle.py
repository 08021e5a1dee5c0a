"""A session's states: a plain enum, importable without pydantic or the event schema.

The console's views and screens need these names to draw its first frame; the payload models
(:mod:`sessions.schema`) cost a tenth of a second to build, which the first paint cannot wait
for. :mod:`sessions.schema.session` re-exports both names for everything else.
"""

from __future__ import annotations

from enum import StrEnum


class SessionState(StrEnum):
    """Where a session is in its life; the reducer refuses transitions the orchestrator forbids."""

    CREATED = "created"
    RUNNING = "running"
    AWAITING_APPROVAL = "awaiting_approval"
    PAUSED = "paused"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


TERMINAL_STATES = frozenset({SessionState.SUCCEEDED, SessionState.FAILED, SessionState.CANCELLED})
"""States a session never leaves."""
