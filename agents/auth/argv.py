"""Reading a program's arguments the way getopt would: options, their values, operands.

Every rule about a tool's options (wrappers, dangerous options, file operands) goes through
`scan`, so `-sSLo out`, `-oout`, `--output=out` and `--output out` are all seen as one `-o`/
`--output` with value `out`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Syntax:
    """How one program spells its options.

    `short_values` are the letters whose option takes a value (attached or the next word);
    `short_optional` the letters that take a value only when attached (`sed -i.bak`);
    `long_values` the long options that take the next word when not written `--opt=value`;
    `single_dash_long` is for programs like find, go and zip whose options are whole words;
    `stop_at_operand` ends option parsing at the first operand (wrappers, POSIX tools).
    """

    short_values: str = ""
    short_optional: str = ""
    long_values: frozenset[str] = frozenset()
    single_dash_long: bool = False
    stop_at_operand: bool = False


@dataclass(frozen=True, slots=True)
class Opt:
    """One option (`name` like "-o" or "--output") or operand (`name == ""`, text in `value`).

    `index` is the position in the scanned arguments of the word it came from.
    """

    name: str
    value: str | None
    index: int


PLAIN = Syntax()


def scan(args: Sequence[str], syntax: Syntax = PLAIN) -> list[Opt]:
    """Split `args` into options and operands; never raises, whatever the words."""
    out: list[Opt] = []
    i = 0
    only_operands = False
    while i < len(args):
        arg = args[i]
        if only_operands or arg == "-" or not arg.startswith("-"):
            out.append(Opt("", arg, i))
            only_operands = only_operands or syntax.stop_at_operand
            i += 1
            continue
        if arg == "--":
            only_operands = True
            i += 1
            continue
        if arg.startswith("--") or syntax.single_dash_long:
            i = _long(args, i, syntax, out=out)
        else:
            i = _short(args, i, syntax, out=out)
    return out


def _long(args: Sequence[str], i: int, syntax: Syntax, *, out: list[Opt]) -> int:
    name, eq, value = args[i].partition("=")
    if eq:
        out.append(Opt(name, value, i))
        return i + 1
    if name in syntax.long_values:
        out.append(Opt(name, args[i + 1] if i + 1 < len(args) else None, i))
        return i + 2
    out.append(Opt(name, None, i))
    return i + 1


def _short(args: Sequence[str], i: int, syntax: Syntax, *, out: list[Opt]) -> int:
    cluster = args[i][1:]
    for pos, letter in enumerate(cluster):
        rest = cluster[pos + 1 :]
        if letter in syntax.short_values:
            if rest:
                out.append(Opt("-" + letter, rest, i))
                return i + 1
            out.append(Opt("-" + letter, args[i + 1] if i + 1 < len(args) else None, i))
            return i + 2
        if letter in syntax.short_optional:
            out.append(Opt("-" + letter, rest or None, i))
            return i + 1
        out.append(Opt("-" + letter, None, i))
    return i + 1


def operands(opts: Sequence[Opt]) -> list[str]:
    """The operand texts of a scan, in order."""
    return [o.value for o in opts if not o.name and o.value is not None]


def has_option(opts: Sequence[Opt], names: frozenset[str]) -> bool:
    """Whether any option in the scan is one of `names`."""
    return any(o.name in names for o in opts if o.name)


def option_values(opts: Sequence[Opt], names: frozenset[str]) -> list[str]:
    """The values given to any of `names`, in order (options without a value are skipped)."""
    return [o.value for o in opts if o.name in names and o.value is not None]
