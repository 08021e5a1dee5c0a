"""What the review screen holds: the draft comments, the diff as drawn, and where keys stop."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.content import Content

from screens.format import escape
from screens.review_render import hunk_content, language_for, number_width
from screens.review_source import ReviewSource

if TYPE_CHECKING:
    from agents.review.changes import BaseKind, SessionChanges
    from agents.review.diff import FileDiff
    from sessions.schema.review import HunkComment

BASE_WORDS = {"first": "its first checkpoint", "known_good": "its last known-good checkpoint"}


@dataclass
class ReviewDraft:
    """The comments on one session's changes not sent yet, by (path, hunk header); the
    dashboard keeps one per session while the console is open."""

    comments: dict[tuple[str, str], HunkComment] = field(default_factory=dict)
    summary: str = ""
    base: BaseKind = "first"


@dataclass(frozen=True, slots=True)
class Shown:
    """A diff read and drawn off the loop: the changes and each file's hunks as content."""

    changes: SessionChanges
    hunks: list[list[Content]]
    situation: str


@dataclass(frozen=True, slots=True)
class Stop:
    """Where ``j``/``k`` stop: a hunk of a file, or a file that has none (``hunk`` None)."""

    file: int
    hunk: int | None


def read_shown(source: ReviewSource, base: BaseKind) -> Shown:
    """Read the diff against ``base`` and draw every hunk (blocking: a worker thread's)."""
    changes = source.changes(base)
    situation = source.situation()
    hunks = []
    for file in changes.files:
        language, width = language_for(file.path), number_width(file)
        hunks.append([hunk_content(h, language, width=width) for h in file.hunks])
    return Shown(changes, hunks, situation)


def stops_of(changes: SessionChanges) -> list[Stop]:
    """Every hunk of every file in order; a file without hunks is one stop."""
    return [
        Stop(i, h)
        for i, f in enumerate(changes.files)
        for h in (range(len(f.hunks)) if f.hunks else [None])
    ]


def comment_key(file: FileDiff, stop: Stop) -> tuple[str, str]:
    """The draft's key of a stop's comment: the path and the hunk's header (empty: the file)."""
    return file.path, file.hunks[stop.hunk].header if stop.hunk is not None else ""


def describe(shown: Shown, draft: ReviewDraft, stops: list[Stop]) -> str:
    """The header line (markup): the base, the counts, the comments, what answers do now."""
    changes, base = shown.changes, shown.changes.base
    files, comments = len(changes.files), len(draft.comments)
    here = {comment_key(changes.files[s.file], s) for s in stops} & draft.comments.keys()
    elsewhere = (
        f" ({comments - len(here)} on hunks not in this view)" if len(here) < comments else ""
    )
    return (
        f"against {BASE_WORDS[base.kind]} ({escape(base.label)}, seq {base.at_seq})"
        f" · {files} file{'s' if files != 1 else ''} +{changes.added} −{changes.removed}"
        f" · {comments} comment{'s' if comments != 1 else ''}{elsewhere}"
        f" · [b]{escape(shown.situation)}[/]"
    )
