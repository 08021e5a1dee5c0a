"""Policy errors that name the line and the rule, so a user can fix the file without guessing.

Line numbers come from a light scan of the TOML text (table headers and keys outside strings and
multi-line arrays), not from a second parser: the scan only has to find where the Nth
`[[rules]]` entry, a `[roles.NAME]` table or a key starts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class PolicyIssue:
    """One problem in a policy file: where it is (line, rule id) and what is wrong."""

    line: int | None
    rule: str | None
    message: str

    def render(self, name: str) -> str:
        """`policy.toml:12: rule 'git-read': unknown key 'comands'`."""
        where = f"{name}:{self.line}" if self.line is not None else name
        rule = f" rule '{self.rule}':" if self.rule is not None else ""
        return f"{where}:{rule} {self.message}"


class PolicyError(Exception):
    """A policy file that cannot be used; `issues` lists every problem found."""

    def __init__(self, issues: Sequence[PolicyIssue], *, source: Path | None = None) -> None:
        self.issues = list(issues)
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        name = str(self.source) if self.source is not None else "policy.toml"
        return "\n".join(issue.render(name) for issue in self.issues)


_HEADER = re.compile(r"\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"\s*([A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*')\s*[.=]")


class LineIndex:
    """Where tables, array-of-tables entries and keys start in a TOML text (1-based lines)."""

    def __init__(self, text: str) -> None:
        self._lines: dict[Loc, int] = {}
        counts: dict[tuple[str, ...], int] = {}
        table: Loc = ()
        depth = 0
        in_string: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            at_top = depth == 0 and in_string is None
            if at_top and (header := _HEADER.match(line)):
                name = tuple(_unquote(k) for k in header.group(2).split("."))
                if header.group(1) == "[[":
                    index = counts.get(name, 0)
                    counts[name] = index + 1
                    table = (*name, index)
                else:
                    table = name
                self._lines.setdefault(table, number)
            elif at_top and (key := _KEY.match(line)):
                self._lines.setdefault((*table, _unquote(key.group(1))), number)
            depth, in_string = _scan_brackets(line, depth, in_string)

    def line_of(self, loc: Loc) -> int | None:
        """The line of the longest prefix of `loc` that the index knows."""
        for end in range(len(loc), 0, -1):
            if (line := self._lines.get(loc[:end])) is not None:
                return line
        return None


def _unquote(key: str) -> str:
    key = key.strip()
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] and key[0] in "\"'" else key


def _scan_brackets(line: str, depth: int, in_string: str | None) -> tuple[int, str | None]:
    """Track array nesting and multi-line strings across a line, skipping strings and comments."""
    i = 0
    while i < len(line):
        if in_string is not None:
            if line.startswith(in_string, i):
                i += len(in_string)
                in_string = None
                continue
            i += 2 if line[i] == "\\" and in_string[0] == '"' else 1
            continue
        char = line[i]
        if char == "#":
            break
        if line.startswith(('"""', "'''"), i):
            in_string = line[i : i + 3]
            i += 3
            continue
        if char in "\"'":
            in_string = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth = max(0, depth - 1)
        i += 1
    if in_string is not None and len(in_string) == 1:
        in_string = None  # a one-line string cannot continue; the parser reports that
    return depth, in_string


_TOML_LINE = re.compile(r"at line (\d+)")


def toml_error_line(message: str, text: str) -> int | None:
    """The line tomllib names in `message` ("... (at line 3, column 7)")."""
    if match := _TOML_LINE.search(message):
        return int(match.group(1))
    if "end of document" in message:
        return max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
    return None
