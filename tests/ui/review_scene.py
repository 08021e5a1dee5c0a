"""The review screen's scene: a fixed diff (no git, no database) and what its answers were."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from agents.review.changes import BaseKind, ReviewBase, SessionChanges
from agents.review.diff import FileDiff, Hunk
from agents.review.feedback import comment_on
from screens.review_state import ReviewDraft
from sessions.schema.review import HunkComment
from tests.ui.scenes import S1

STATS = FileDiff(
    path="calc/stats.py",
    status="modified",
    old_mode="100644",
    new_mode="100644",
    hunks=(
        Hunk(
            header="@@ -3,5 +3,5 @@ def moving_average(values, window):",
            old_start=3,
            old_count=5,
            new_start=3,
            new_count=5,
            lines=(
                "     if window <= 0:",
                '         raise ValueError("window must be positive")',
                "-    return [sum(values[i:i + window]) / window for i in range(len(values) - window)]",
                "+    n = len(values) - window + 1",
                "+    return [sum(values[i:i + window]) / window for i in range(n)]",
                " ",
            ),
        ),
        Hunk(
            header="@@ -20,3 +20,6 @@ def median(values):",
            old_start=20,
            old_count=3,
            new_start=20,
            new_count=6,
            lines=(
                "     ordered = sorted(values)",
                "     middle = len(ordered) // 2",
                "+    if not ordered:",
                '+        # an empty list has no median: say so, "None" is no number',
                "+        raise ValueError('no values')",
                "     return ordered[middle]",
            ),
        ),
    ),
    added=5,
    removed=1,
)
FILES = (
    STATS,
    FileDiff(
        path="calc/tmp_debug.py",
        status="deleted",
        old_mode="100644",
        removed=2,
        hunks=(
            Hunk(
                header="@@ -1,2 +0,0 @@",
                old_start=1,
                old_count=2,
                new_start=0,
                new_count=0,
                lines=("-import pdb", "-pdb.set_trace()"),
            ),
        ),
    ),
    FileDiff(path="docs/logo.png", status="added", new_mode="100644", binary=True),
    FileDiff(
        path="tests/test_stats.py",
        status="renamed",
        old_path="tests/test_calc.py",
        old_mode="100644",
        new_mode="100644",
    ),
)
BASE = ReviewBase(kind="first", checkpoint_id="c0ffee" * 7, at_seq=3, label="session start")


def review_draft() -> ReviewDraft:
    """One comment on the first hunk of ``calc/stats.py``."""
    comment = comment_on(STATS, STATS.hunks[0], "Name it `count`, and test a window of 1.")
    return ReviewDraft(comments={(STATS.path, STATS.hunks[0].header): comment})


@dataclass
class FixedReview:
    """A review source with fixed changes; it records the answers it was given."""

    situation_text: str = "waiting on your review"
    requested: list[tuple[list[HunkComment], str]] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)

    def changes(self, base: BaseKind) -> SessionChanges:
        """The fixed diff, whatever the base."""
        return SessionChanges(session_id=S1, workspace="/work/demo", base=BASE, files=FILES)

    def situation(self) -> str:
        """What the answers would do."""
        return self.situation_text

    async def request_changes(
        self, comments: Sequence[HunkComment], *, summary: str, base: ReviewBase
    ) -> str:
        """Recorded, never sent."""
        self.requested.append((list(comments), summary))
        return "changes requested"

    async def accept(
        self, comments: Sequence[HunkComment], *, summary: str, base: ReviewBase
    ) -> str:
        """Recorded, never sent."""
        self.accepted.append(summary)
        return "accepted"
