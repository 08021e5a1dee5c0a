"""What the review screen reads and asks: a session's changes and the review's two answers.

A protocol, so a scene can show a fixed diff; :class:`SupervisedReview` is the console's, through
the :class:`~agents.supervisor.actions.Supervisor`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from agents.review.changes import BaseKind, ReviewBase, SessionChanges
    from agents.supervisor.actions import Supervisor
    from sessions.schema.review import HunkComment


class ReviewSource(Protocol):
    """The changes of one session, and where its review's answers go."""

    def changes(self, base: BaseKind) -> SessionChanges:
        """The workspace against ``base`` (blocking: called on a worker thread)."""
        ...

    def situation(self) -> str:
        """What request changes and accept do now, in a few words (blocking)."""
        ...

    async def request_changes(
        self, comments: Sequence[HunkComment], *, summary: str, base: ReviewBase
    ) -> str:
        """Send the comments back; what happened, in words (a ``QuarterdeckError``: why not)."""
        ...

    async def accept(
        self, comments: Sequence[HunkComment], *, summary: str, base: ReviewBase
    ) -> str:
        """Accept the changes; what happened, in words (a ``QuarterdeckError``: why not)."""
        ...


@dataclass(frozen=True, slots=True)
class SupervisedReview:
    """A review through the supervisor: the session's shadow checkpoints and its log."""

    supervisor: Supervisor
    session_id: str

    def changes(self, base: BaseKind) -> SessionChanges:
        """The workspace against ``base`` (blocking)."""
        return self.supervisor.session_changes(self.session_id, base)

    def situation(self) -> str:
        """What the answers do now (blocking)."""
        return self.supervisor.review_situation(self.session_id).describe()

    async def request_changes(
        self, comments: Sequence[HunkComment], *, summary: str, base: ReviewBase
    ) -> str:
        """Send the comments to the implementer (or a follow-up session)."""
        return await self.supervisor.request_changes(
            self.session_id, comments, summary=summary, base=base
        )

    async def accept(
        self, comments: Sequence[HunkComment], *, summary: str, base: ReviewBase
    ) -> str:
        """Accept the changes."""
        return await self.supervisor.accept_review(
            self.session_id, comments, summary=summary, base=base
        )
