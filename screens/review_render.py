"""How the review screen draws a diff: hunks with line numbers, highlighted for their language.

Built as :class:`~textual.content.Content` (theme variables, never colours; never parsed as
markup, since a file may hold anything), on the worker thread that read the diff — the loop
only mounts what is ready. The language comes from the file's name (Textual's highlighter,
Pygments underneath); a hunk's lines are lexed together so a string or comment that spans
lines keeps its colour.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import PurePosixPath

from textual.content import Content
from textual.highlight import guess_language, highlight

from agents.review.diff import FileDiff, Hunk

STATUS_MARK = {
    "added": ("A", "$text-success"),
    "modified": ("M", "$text-warning"),
    "deleted": ("D", "$text-error"),
    "renamed": ("R", "$text-accent"),
    "copied": ("C", "$text-accent"),
    "type_changed": ("T", "$text-warning"),
    "withheld": ("S", "$text-error"),
}
"""The letter (as ``git status`` has it; ``S`` a secret) and its colour, per file status."""

_LINE_STYLE = {"+": "on $success-muted", "-": "on $error-muted"}
_MARK_STYLE = {"+": "bold $text-success", "-": "bold $text-error"}
TAB = 4
_BREAKS = str.maketrans(
    dict.fromkeys("\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029", "\ufffd") | {"\r": "␍"}
)
"""Characters ``str.splitlines`` (which the highlighter uses) reads as line ends: shown as
something else, so the highlighted lines stay aligned with the hunk's."""


@lru_cache(maxsize=256)
def _language(name: str) -> str:
    return guess_language("x", name)  # by the name alone (the text is not guessed from)


def language_for(path: str) -> str:
    """The language a file is highlighted as, by its name (``text`` when none matches)."""
    name = PurePosixPath(path).name
    suffix = PurePosixPath(name).suffix
    return _language(f"x{suffix}" if suffix else name)  # one lookup per extension


def highlighted(lines: list[str], language: str) -> list[Content]:
    """``lines`` of code, each as highlighted content (lexed as one text)."""
    rows = highlight("\n".join(lines), language=language).split("\n", allow_blank=True)
    rows = rows[: len(lines)]
    return rows + [Content(line) for line in lines[len(rows) :]]


def _code(line: str) -> str:
    return line[1:].expandtabs(TAB).translate(_BREAKS)


def hunk_content(hunk: Hunk, language: str, *, width: int) -> Content:
    """A hunk: its header, then each line with its old and new numbers (``width`` digits)."""
    code = [i for i, line in enumerate(hunk.lines) if line[:1] in (" ", "+", "-")]
    colored = dict(
        zip(code, highlighted([_code(hunk.lines[i]) for i in code], language), strict=True)
    )
    counts = f"  +{hunk.added} −{hunk.removed}"
    rows = [Content.assemble((hunk.header, "bold $text-accent"), (counts, "$text-muted"))]
    old, new = hunk.old_start, hunk.new_start
    blank = " " * width
    for i, line in enumerate(hunk.lines):
        mark = line[:1]
        if i not in colored:  # "\ No newline at end of file"
            rows.append(Content.styled(f"{blank} {blank}   {line}", "$text-muted italic"))
            continue
        left = f"{old:>{width}}" if mark != "+" else blank
        right = f"{new:>{width}}" if mark != "-" else blank
        old += mark != "+"
        new += mark != "-"
        row = Content.assemble(
            (f"{left} {right} ", "$text-muted"),
            (mark, _MARK_STYLE.get(mark, "")),
            " ",
            colored[i],
        )
        rows.append(row.stylize_before(_LINE_STYLE[mark]) if mark in _LINE_STYLE else row)
    return Content("\n").join(rows)


def number_width(file: FileDiff) -> int:
    """Digits of the largest line number a file's hunks show."""
    last = max(
        (max(h.old_start + h.old_count, h.new_start + h.new_count) for h in file.hunks), default=1
    )
    return max(3, len(str(last)))


def file_label(file: FileDiff, *, comments: int) -> Content:
    """A file in the list: status letter, path (old → new when renamed), counts, comments."""
    letter, style = STATUS_MARK[file.status]
    path = f"{file.old_path} → {file.path}" if file.old_path else file.path
    parts: list[str | tuple[str, str]] = [(letter, f"bold {style}"), " ", path]
    if file.added or file.removed:
        parts.append((f"  +{file.added} −{file.removed}", "$text-muted"))
    elif file.note:
        parts.append((f"  {file.note}", "$text-muted italic"))
    if comments:
        parts.append((f"  ✎{comments}", "bold $text-warning"))
    return Content.assemble(*parts)


def file_title(file: FileDiff) -> Content:
    """The heading of a file's hunks: its label and why it shows none (or its mode change)."""
    letter, style = STATUS_MARK[file.status]
    path = f"{file.old_path} → {file.path}" if file.old_path else file.path
    parts: list[str | tuple[str, str]] = [(f"{letter} {file.status.replace('_', ' ')}", style)]
    parts += ["  ", (path, "bold")]
    if file.note:
        parts.append((f"  ({file.note})", "$text-muted"))
    return Content.assemble(*parts)
