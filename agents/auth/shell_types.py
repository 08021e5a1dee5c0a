"""The records shell analysis produces; re-exported by `agents.auth.shell`.

They live apart from the analyser so the helper modules (wrappers, dangerous options, paths) can
name them without importing the parser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Flow = Literal["download-exec"]
"""Data moving between a line's commands that a rule may name (`flows = [...]`):
`download-exec` is code fetched from the network and run by a shell or interpreter."""

#: Redirection operators that open their target for writing (`<>` opens it read-write).
WRITE_OPS = frozenset({">", ">>", ">|", "&>", "&>>", "<>"})


@dataclass(frozen=True, slots=True)
class Redirect:
    """One redirection as bash performs it.

    `op` is the operator (`>`, `>>`, `<`, `>&`, `<&`, `&>`, `&>>`, `>|`, `<>`, `<<` for both
    heredoc forms, `<<<`). `target` is the file word after quote removal, the fd number for a
    duplication such as `2>&1` (then `writes` is False: no file is opened), the here-string text
    for `<<<`, and "" for a heredoc.
    """

    op: str
    target: str
    writes: bool

    @property
    def is_file(self) -> bool:
        """Whether `target` names a file (not a heredoc, here-string or fd duplication)."""
        if self.op in ("<<", "<<<"):
            return False
        return not (self.op in (">&", "<&") and (self.target.isdigit() or self.target == "-"))


@dataclass(frozen=True, slots=True, kw_only=True)
class SimpleCommand:
    """One simple command as bash would run it, after unwrapping wrappers and prefixes.

    A command with no words (only `VAR=x` assignments and/or redirections, e.g. `X=1` or
    `> file`) has `argv == ()` and `program == ""`. `flows` says what reaches it from other
    commands of the line (`download-exec`: it runs code another command fetched).
    """

    argv: tuple[str, ...]
    program: str
    wrappers: tuple[str, ...]
    assignments: tuple[str, ...]
    redirects: tuple[Redirect, ...]
    nested: bool
    concerns: tuple[str, ...]
    dangerous: tuple[str, ...]
    flows: tuple[Flow, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ShellAnalysis:
    """Everything found in one shell command line; `parsed` is False when bash syntax defeated us.

    `commands` lists every simple command, nested ones included; each command comes before the
    commands nested inside it (its substitutions, `bash -c` string, heredoc fed to a shell).
    """

    source: str
    commands: tuple[SimpleCommand, ...]
    concerns: tuple[str, ...]
    parsed: bool
