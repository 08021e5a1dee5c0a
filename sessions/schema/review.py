"""A person's review of a session's changes: comments on hunks sent back, or an acceptance.

The review screen shows the workspace against one of the session's checkpoints; each comment
names the file and the hunk it was written on (its ``@@`` header and its lines, so the log
says what was read even after the files move on). ``review.comments`` is a request for
changes: its comments become the implementer's next attempt's feedback. ``review.accepted``
ends the review.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sessions.schema.base import Payload

ReviewBaseKind = Literal["first", "known_good"]
"""What the workspace was compared with: the session's first or last known-good checkpoint."""


class HunkComment(BaseModel):
    """A comment on one hunk of one file (``hunk`` empty: on the whole file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    old_path: str | None = None
    """Where the file was before, when it was renamed."""
    hunk: str = ""
    """The hunk's ``@@ -a,b +c,d @@`` header."""
    lines: list[str] = Field(default_factory=list)
    """The hunk's lines as shown, ``+``/``-``/space first (the first ones, when long)."""
    text: str


class ReviewFields(Payload):
    """What a request for changes and an acceptance share."""

    comments: list[HunkComment] = Field(default_factory=list)
    summary: str = ""
    """The overall comment (may be empty)."""
    by: str
    """Who reviewed (the user name of the console)."""
    base: ReviewBaseKind = "first"
    base_checkpoint_id: str = ""
    approval_id: str | None = None
    """The human review this answered, when the session was waiting on one."""


class ChangesRequested(ReviewFields):
    """A person asked for changes: the comments go to the implementer's next attempt."""

    KIND = "review.comments"

    follow_up_session_id: str | None = None
    """The session started to make the changes, when the reviewed session had already ended."""


class ReviewAccepted(ReviewFields):
    """A person accepted the session's changes: the review is over."""

    KIND = "review.accepted"
