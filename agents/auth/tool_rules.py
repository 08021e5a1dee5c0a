"""The vocabulary of per-tool option rules: findings, option rules and a tool's rule set."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from agents.auth.argv import PLAIN, Syntax


@dataclass(frozen=True, slots=True)
class Finding:
    """A reason a command needs a human: `dangerous` ones should never be allowed by a rule."""

    reason: str
    dangerous: bool = True


#: A check that reads a tool's arguments (argv without the program) itself.
Check = Callable[[Sequence[str]], list[Finding]]


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionRule:
    """Fires when one of `names` is given (and, with `value`, when its value matches)."""

    names: frozenset[str]
    reason: str
    dangerous: bool = True
    value: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolRules:
    """Everything we check for one program.

    `always` applies to every use; `subcommands` is keyed by the first operand (`npm run`);
    `check` is for tools whose danger hides in a script or subcommand (git, sed, awk).
    """

    syntax: Syntax = PLAIN
    options: tuple[OptionRule, ...] = ()
    always: Finding | None = None
    subcommands: Mapping[str, Finding] = field(default_factory=dict)
    check: Check | None = None


def names(*items: str) -> frozenset[str]:
    """Shorthand for the option-name sets in rule tables."""
    return frozenset(items)
