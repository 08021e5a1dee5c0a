"""A diff as a reviewer reads it: files, each with its hunks, parsed from git's own output.

The shadow repository already holds both sides (a checkpoint and a snapshot of the workspace
now), so git computes the diff: ``diff-tree -r -M --raw -p -z`` gives, in one run, the list
of changed files with their status and modes (NUL-separated, so every path is exact) and then
the unified patch. Files come from the first part; hunks from the second, matched to their
file by the path each patch section names (quoted the way git quotes). Binary files,
additions, deletions, renames, mode and type changes are all told apart; a file with more
changed lines than :data:`MAX_FILE_LINES` keeps its counts but not its hunks. Pure: no I/O.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Literal

FileStatus = Literal[
    "added", "modified", "deleted", "renamed", "copied", "type_changed", "withheld"
]
"""What happened to a file; ``withheld``: it holds a secret, so no snapshot has it."""

MAX_FILE_LINES = 4000
"""A file whose hunks hold more lines than this is shown by its counts only."""

_STATUS: dict[str, FileStatus] = {
    "A": "added",
    "M": "modified",
    "D": "deleted",
    "R": "renamed",
    "C": "copied",
    "T": "type_changed",
}
_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$")
_ESCAPES = {
    ord("a"): 7,
    ord("b"): 8,
    ord("t"): 9,
    ord("n"): 10,
    ord("v"): 11,
    ord("f"): 12,
    ord("r"): 13,
}
_LINK, _GITLINK = "120000", "160000"


@dataclass(frozen=True, slots=True, kw_only=True)
class Hunk:
    """One hunk: its ``@@`` header and its lines, each with its ``+``/``-``/space prefix."""

    header: str
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    lines: tuple[str, ...]

    @property
    def added(self) -> int:
        """Lines this hunk adds."""
        return sum(1 for line in self.lines if line.startswith("+"))

    @property
    def removed(self) -> int:
        """Lines this hunk removes."""
        return sum(1 for line in self.lines if line.startswith("-"))


@dataclass(frozen=True, slots=True, kw_only=True)
class FileDiff:
    """One changed file: where it is (and was, when renamed), what happened, its hunks."""

    path: str
    status: FileStatus
    old_path: str | None = None
    old_mode: str = ""
    new_mode: str = ""
    binary: bool = False
    too_large: bool = False
    hunks: tuple[Hunk, ...] = ()
    added: int = 0
    removed: int = 0

    @property
    def note(self) -> str:
        """Why the file shows no hunks, or what else changed (its mode), in a few words."""
        if self.status == "withheld":
            return "holds a secret: no checkpoint has it, so it is not shown"
        modes = {self.old_mode, self.new_mode}
        if _GITLINK in modes:
            return "a nested git repository (its commit changed)"
        if self.binary:
            return "binary file"
        if self.too_large:
            return f"too large to show: +{self.added} −{self.removed} lines"
        if self.status == "type_changed":
            return f"type changed ({_kind(self.old_mode)} → {_kind(self.new_mode)})"
        if _LINK in modes:
            return "symbolic link (its target)"
        if self.old_mode and self.new_mode and self.old_mode != self.new_mode:
            return f"mode {self.old_mode} → {self.new_mode}"
        if not self.hunks and self.status in ("renamed", "copied"):
            return "content unchanged"
        if not self.hunks:
            return "empty file" if self.status in ("added", "deleted") else "no textual change"
        return ""


def _kind(mode: str) -> str:
    return {_LINK: "symlink", _GITLINK: "repository"}.get(mode, "file")


@dataclass(slots=True)
class _Section:
    paths: set[str]
    binary: bool
    hunks: list[Hunk]
    lines: int


def unquote(name: bytes) -> bytes:
    """A path as git prints it in a patch: C-quoted (``"a\\tb"``, octal bytes) or as is."""
    if not (name.startswith(b'"') and name.endswith(b'"') and len(name) >= 2):
        return name
    out = bytearray()
    body, i = name[1:-1], 0
    while i < len(body):
        c = body[i]
        if c != ord("\\") or i + 1 >= len(body):
            out.append(c)
            i += 1
            continue
        nxt = body[i + 1]
        if ord("0") <= nxt <= ord("7"):
            out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
            i += 4
        else:
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
    return bytes(out)


def _strip_side(name: bytes) -> str | None:
    """``a/path`` or ``b/path`` (maybe quoted, maybe followed by a tab) → ``path``."""
    name = unquote(name.rstrip(b"\t"))  # git adds a tab after a name with a space in it
    if name == b"/dev/null":
        return None
    return os.fsdecode(name[2:]) if name[:2] in (b"a/", b"b/") else os.fsdecode(name)


def _git_line_paths(rest: bytes) -> set[str]:
    """The paths of ``diff --git a/X b/Y`` (exact when quoted, or when X and Y are equal)."""
    if rest.startswith(b'"'):
        parts = re.findall(rb'"(?:[^"\\]|\\.)*"|\S+', rest)
        return {p for part in parts if (p := _strip_side(part)) is not None}
    half = (len(rest) - 1) // 2  # "a/P b/P": the same P twice around one space
    return {os.fsdecode(rest[2:half])} if rest[:half][2:] == rest[half + 3 :] else set()


def _section(lines: list[bytes]) -> _Section:
    paths: set[str] = set()
    found: set[str] = set()
    binary = False
    hunks: list[Hunk] = []
    header: re.Match[bytes] | None = None
    body: list[str] = []
    total = 0

    def close() -> None:
        if header is not None:
            hunks.append(_hunk(header, body))

    for line in lines:
        match = _HUNK.match(line)
        if match is not None:
            close()
            header, body = match, []
        elif header is not None:
            if not line:  # the patch's final newline: every hunk line has a prefix
                continue
            body.append(line.decode("utf-8", errors="replace"))
            total += 1
        elif line.startswith(b"diff --git "):
            paths |= _git_line_paths(line[len(b"diff --git ") :])
        elif line.startswith((b"--- ", b"+++ ")):
            if (p := _strip_side(line[4:])) is not None:
                found.add(p)
        elif line.startswith((b"rename from ", b"rename to ", b"copy from ", b"copy to ")):
            found.add(os.fsdecode(unquote(line.split(b" ", 2)[2])))
        elif line.startswith((b"Binary files ", b"GIT binary patch")):
            binary = True
    close()
    return _Section(found or paths, binary, hunks, total)


def _hunk(match: re.Match[bytes], body: list[str]) -> Hunk:
    old_start, old_count, new_start, new_count, context = match.groups()
    text = f"@@ -{int(old_start)}" + (f",{int(old_count)}" if old_count is not None else "")
    text += f" +{int(new_start)}" + (f",{int(new_count)}" if new_count is not None else "")
    text += " @@" + context.decode("utf-8", errors="replace")
    return Hunk(
        header=text,
        old_start=int(old_start),
        old_count=1 if old_count is None else int(old_count),
        new_start=int(new_start),
        new_count=1 if new_count is None else int(new_count),
        lines=tuple(body),
    )


@dataclass(frozen=True, slots=True)
class _Entry:
    status: FileStatus
    path: str
    old_path: str | None
    old_mode: str
    new_mode: str


def _raw_entries(fields: list[bytes]) -> tuple[list[_Entry], int]:
    """The ``--raw`` part: entries and the index of the first field after it."""
    entries: list[_Entry] = []
    i = 0
    while i < len(fields) and fields[i].startswith(b":"):
        meta = fields[i][1:].split(b" ")
        old_mode, new_mode, letter = meta[0].decode(), meta[1].decode(), meta[4][:1].decode()
        status = _STATUS.get(letter, "modified")
        if status in ("renamed", "copied"):
            old, new = os.fsdecode(fields[i + 1]), os.fsdecode(fields[i + 2])
            entries.append(_Entry(status, new, old, old_mode, new_mode))
            i += 3
        else:
            path = os.fsdecode(fields[i + 1])
            entries.append(_Entry(status, path, None, old_mode, new_mode))
            i += 2
    return entries, i


def parse_diff(output: bytes) -> list[FileDiff]:
    """The files of ``git diff-tree -r -M --raw -p -z`` output, in git's order."""
    fields = output.split(b"\0")
    entries, at = _raw_entries(fields)
    patch = b"\0".join(fields[at:]).lstrip(b"\0")
    sections: list[list[bytes]] = []
    for line in patch.split(b"\n"):
        if line.startswith(b"diff --git "):
            sections.append([])
        if sections:
            sections[-1].append(line)
    by_paths: dict[frozenset[str], list[_Section]] = {}
    for lines in sections:
        section = _section(lines)
        by_paths.setdefault(frozenset(section.paths), []).append(section)
    files = []
    for entry in entries:
        # A type change is two sections (the old file removed, the new one added).
        found = by_paths.pop(frozenset({entry.path, entry.old_path or entry.path}), [])
        hunks = [h for s in found for h in s.hunks]
        total = sum(s.lines for s in found)
        large = total > MAX_FILE_LINES
        files.append(
            FileDiff(
                path=entry.path,
                status=entry.status,
                old_path=entry.old_path,
                old_mode="" if entry.old_mode == "000000" else entry.old_mode,
                new_mode="" if entry.new_mode == "000000" else entry.new_mode,
                binary=any(s.binary for s in found),
                too_large=large,
                hunks=() if large else tuple(hunks),
                added=sum(h.added for h in hunks),
                removed=sum(h.removed for h in hunks),
            )
        )
    return files
