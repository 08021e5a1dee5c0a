"""File operands of read-only tools that `paths.command_paths` does not know (yet).

The default policy allows `sort`, `uniq`, `cut`, `nl` and friends; each reads the files named in
its operands, so `sort ~/.ssh/id_rsa` must be judged as a read of `~/.ssh/id_rsa`, not as a
harmless sort. For a program `paths.FILE_TOOLS` already covers, this table is never consulted.
Option values taken for operands (`cut -d , -f 1`) only add reads, never hide one.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.auth.argv import PLAIN, Syntax, scan
from agents.auth.paths import FILE_TOOLS
from agents.auth.shell_types import SimpleCommand


@dataclass(frozen=True, slots=True, kw_only=True)
class _Reader:
    """`skip` leading operands are not paths (fd's pattern); operands from `write_from` on are
    written (uniq's OUTPUT); `write_options` take a path that is written (sort -o)."""

    syntax: Syntax = PLAIN
    skip: int = 0
    write_from: int | None = None
    write_options: frozenset[str] = frozenset()


def _s(short: str, *long: str) -> Syntax:
    return Syntax(short_values=short, long_values=frozenset(long))


_SUMS = _Reader(syntax=_s(""))
READERS: dict[str, _Reader] = {
    "sort": _Reader(
        syntax=_s("kotST", "--key", "--output", "--field-separator", "--buffer-size"),
        write_options=frozenset({"-o", "--output"}),
    ),
    "uniq": _Reader(
        syntax=_s("fsw", "--skip-fields", "--skip-chars", "--check-chars"), write_from=1
    ),
    "cut": _Reader(syntax=_s("bcdf", "--bytes", "--characters", "--delimiter", "--fields")),
    "nl": _Reader(syntax=_s("bdfhilnsvw")),
    "tac": _Reader(syntax=_s("s", "--separator")),
    "cmp": _Reader(syntax=_s("in", "--ignore-initial", "--bytes")),
    "comm": _Reader(),
    "paste": _Reader(syntax=_s("d", "--delimiters")),
    "column": _Reader(syntax=_s("cstoNOREdHWrl")),
    "tree": _Reader(syntax=_s("LPIoH"), write_options=frozenset({"-o"})),
    "du": _Reader(
        syntax=_s("dBtX", "--max-depth", "--block-size", "--threshold", "--exclude-from")
    ),
    "fd": _Reader(
        syntax=_s("teEdSjcox", "--type", "--extension", "--exclude", "--max-depth"), skip=1
    ),
    "fdfind": _Reader(syntax=_s("teEdSjcox", "--type", "--extension", "--exclude"), skip=1),
    **dict.fromkeys(("sha256sum", "sha1sum", "sha512sum", "md5sum", "b2sum", "cksum"), _SUMS),
}


#: git subcommands whose operands name files, with how many leading operands are not paths
#: (`git grep PATTERN`) and which options take a separate value (`git commit -m MSG`).
#: `git diff A B` with a path outside the repository quietly becomes `git diff --no-index`, a
#: read of any file on disk; `git add .env` stages a secret for the next push.
_GIT_COMMIT = _s("mFcCt", "--message", "--file", "--author", "--date", "--template", "--trailer")
GIT_READERS: dict[str, tuple[int, Syntax]] = {
    **dict.fromkeys(
        ("diff", "show", "log", "blame", "shortlog", "ls-files", "rev-list", "describe", "add"),
        (0, PLAIN),
    ),
    "ls-tree": (1, PLAIN),
    "grep": (1, _s("efABCm", "--max-count")),
    "commit": (0, _GIT_COMMIT),
}
_GIT_FLAGS = frozenset({"--no-pager", "-p", "--paginate", "-P", "--no-replace-objects"})


def extra_paths(cmd: SimpleCommand) -> tuple[tuple[str, bool], ...]:
    """(path, is_write) for the operands of a reader `paths.command_paths` does not cover."""
    if cmd.program == "git" and "git" not in FILE_TOOLS:
        return _git_paths(cmd.argv[1:])
    reader = READERS.get(cmd.program)
    if reader is None or cmd.program in FILE_TOOLS:
        return ()
    opts = scan(cmd.argv[1:], reader.syntax)
    found = [(o.value, True) for o in opts if o.name in reader.write_options and o.value]
    operands = [o.value for o in opts if not o.name and o.value is not None][reader.skip :]
    for index, operand in enumerate(operands):
        writes = reader.write_from is not None and index >= reader.write_from
        found.append((operand, writes))
    return tuple(found)


def _git_paths(args: tuple[str, ...]) -> tuple[tuple[str, bool], ...]:
    rest = list(args)
    while rest and rest[0] in _GIT_FLAGS:
        rest.pop(0)
    if not rest or rest[0] not in GIT_READERS:
        return ()
    skip, syntax = GIT_READERS[rest[0]]
    opts = scan(rest[1:], syntax)
    if any(o.name in ("-e", "-f", "--file") for o in opts):
        skip = 0  # `git grep -e PATTERN`: every operand is a path
    operands = [o.value for o in opts if not o.name and o.value is not None][skip:]
    # Revisions (`HEAD~1`, `main...HEAD`) resolve inside the workspace, so reading every
    # operand as a path only adds harmless reads; `REV:PATH` reads PATH as of REV.
    return tuple((_revision_path(operand), False) for operand in operands)


def _revision_path(operand: str) -> str:
    """`HEAD:src/a.py`, `:src/a.py`, `:2:src/a.py` → `src/a.py` (the tree root for `HEAD:`)."""
    rev, colon, path = operand.partition(":")
    if not colon:
        return operand
    if not rev and path[:1] in "0123" and path[1:2] == ":":
        path = path[2:]  # an index stage
    return path or "."
