"""A line that only wraps a script: `/bin/sh -lc 'SCRIPT'` is judged as SCRIPT.

Agents run shell syntax through a shell: fast-agent sends `terminal/create` as `/bin/sh` with
`["-lc", LINE]`, while its permission request carries LINE itself. Judged as written, the wrapper
is "a shell running inline code" and asks, so one action got two verdicts. When the whole line is
one such wrapper around a literal script, the script is exactly what runs, so the script is what
is judged. Anything else is left as it is, and the shell analysis asks for it: a script built at
run time (`sh -c "$X"`), a script file or stdin, redirections or a pipeline around the shell, an
option that changes how the script is read (`-i`, `-O extglob`, `--rcfile`), extra operands
(`$0`, `$1` …), or a shell whose grammar is not bash's (fish; zsh when the script has a `(`,
where glob qualifiers such as `*(e:…:)` run code).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from agents.auth.hazards import wrapper_floor
from agents.auth.shell import MAX_SOURCE_BYTES, ShellParseError, parse
from agents.auth.shell_words import Word, decode_word, program_of
from agents.auth.wrappers import unwrap

#: Shells whose `-c` script bash's grammar reads as the shell will (zsh with a guard).
TRANSPARENT_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh"})
#: Single-letter options that change nothing about what the script does: `c` (the script
#: follows), `l` (login: the profile files, outside the workspace, are read first), `e`, `u`,
#: `x`, `v` (stop on error, unset variables, tracing).
_FLAGS = frozenset("celuxv")
#: `-o NAME` options with the same property.
_SET_OPTIONS = frozenset({"pipefail", "errexit", "nounset", "xtrace", "verbose"})
_LONG_OPTIONS = frozenset({"--login", "--noprofile", "--norc", "--posix"})
#: How many shells inside each other are peeled (`sh -c "bash -lc '…'"`).
MAX_LAYERS = 4
#: A cheap test before parsing: a line that never names one of the shells as a word cannot be
#: one (a quoted or escaped name is missed, and such a line is simply judged as written).
_NAMES_A_SHELL = re.compile(r"(?:^|[\s/])(?:sh|bash|dash|ash|zsh)\s")


@dataclass(frozen=True, slots=True, kw_only=True)
class Script:
    """The text to judge for a line, and the `VAR=value` words its wrappers set for all of it.

    `text` is the line itself when it wraps nothing; `layers` counts the shells peeled.
    """

    text: str
    assignments: tuple[str, ...] = ()
    layers: int = 0


def script_of(line: str) -> Script:
    """The literal script `line` only wraps (peeling shells inside shells), or `line` itself."""
    text = line
    assignments: list[str] = []
    layers = 0
    while layers < MAX_LAYERS:
        peeled = _peel(text)
        if peeled is None:
            break
        text, found = peeled
        assignments.extend(found)
        layers += 1
    return Script(text=text, assignments=tuple(assignments), layers=layers)


def _peel(text: str) -> tuple[str, list[str]] | None:
    """(script, assignments) when `text` is exactly one shell running a literal script."""
    if len(text) > MAX_SOURCE_BYTES or _NAMES_A_SHELL.search(text) is None:
        return None  # too long to parse twice: the analysis refuses it anyway
    try:
        nodes = parse(text)
    except ShellParseError:
        return None
    if len(nodes) != 1 or nodes[0].kind != "command":
        return None
    node = nodes[0]
    start, end = int(node.pos[0]), int(node.pos[1])
    if text[:start].strip() or text[end:].strip():
        return None  # a comment or anything else beside the command
    prefix: list[Word] = []
    words: list[Word] = []
    for part in node.parts:
        if part.kind not in ("word", "assignment"):
            return None  # a redirection applies to the whole script: judge the line as written
        word = decode_word(text[int(part.pos[0]) : int(part.pos[1])])
        if not word.literal or word.decoded or word.mentions_ifs:
            return None
        (prefix if part.kind == "assignment" and not words else words).append(word)
    unwrapped = unwrap(words)
    if unwrapped.concerns or unwrapped.shell_code or not unwrapped.words:
        return None
    if any(wrapper_floor(w) is not None for w in unwrapped.wrappers):
        return None  # sudo, xargs …: the wrapper itself needs judging
    program, concerns = program_of(unwrapped.words[0])
    if concerns or program not in TRANSPARENT_SHELLS:
        return None
    script = literal_script([w.text for w in unwrapped.words[1:]])
    if script is None or (program == "zsh" and "(" in script):
        return None
    return script, [w.text for w in prefix] + list(unwrapped.assignments)


def literal_script(args: Sequence[str]) -> str | None:
    """The script of a shell's `args` when they are harmless options, `-c` and one script."""
    inline = False
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            i += 1
            break
        if arg in _LONG_OPTIONS:
            i += 1
            continue
        if not arg.startswith("-") or arg == "-":
            break
        letters = arg[1:]
        if letters.endswith("o"):  # `-o pipefail`, `-euo pipefail`
            if i + 1 >= len(args) or args[i + 1] not in _SET_OPTIONS:
                return None
            letters = letters[:-1]
            i += 1
        if not set(letters) <= _FLAGS:
            return None
        inline = inline or "c" in letters
        i += 1
    operands = args[i:]
    if not inline or len(operands) != 1:
        return None  # a script file, stdin, or `$0`/`$1` operands the script may read
    return operands[0]
