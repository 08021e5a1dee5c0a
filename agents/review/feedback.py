"""A review's comments as the implementer reads them: its next attempt's feedback, in words.

Each comment names its file and hunk and quotes a few of the hunk's changed lines, so the
agent knows which change is meant without the reviewer's screen; the log keeps the whole
hunk (up to :data:`LINES_KEPT` lines) in the ``review.comments`` event.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.review.diff import FileDiff, Hunk
from sessions.schema.review import HunkComment

LINES_KEPT = 80
"""Lines of a hunk a comment keeps (its first ones)."""
LINES_QUOTED = 4
"""Changed lines of a hunk the feedback quotes (its first ones)."""


def comment_on(file: FileDiff, hunk: Hunk | None, text: str) -> HunkComment:
    """A comment on ``hunk`` of ``file`` (None: on the whole file)."""
    return HunkComment(
        path=file.path,
        old_path=file.old_path,
        hunk=hunk.header if hunk is not None else "",
        lines=list(hunk.lines[:LINES_KEPT]) if hunk is not None else [],
        text=text,
    )


def feedback_text(comments: Sequence[HunkComment], *, summary: str, by: str) -> str:
    """The request for changes as the implementer's prompt shows it."""
    count = f"{len(comments)} comment{'s' if len(comments) != 1 else ''}"
    lines = [f"{by} reviewed the changes and asks for changes ({count}):"]
    if summary:
        lines.append(f"Overall: {summary}")
    for c in comments:
        where = f"{c.path} {c.hunk}".strip() if c.hunk else f"{c.path} (the whole file)"
        changed = [line for line in c.lines if line[:1] in ("+", "-")][:LINES_QUOTED]
        lines += [f"- {where}", *(f"    | {line}" for line in changed), f"  → {c.text}"]
    return "\n".join(lines)
