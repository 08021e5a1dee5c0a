"""sed and awk programs: the commands inside them that run programs or write files.

`sed 's/x/y/e'`, `sed 'w /etc/x'` and `awk '{system("rm -rf /")}'` look like text filters to a
prefix rule. These scanners read the script just far enough to find those commands.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator, Sequence

from agents.auth.argv import Syntax, has_option, operands, option_values, scan
from agents.auth.tool_rules import Finding, names

_SED = Syntax(
    short_values="efl",
    short_optional="i",
    long_values=names("--expression", "--file", "--line-length"),
)
_SED_FINDINGS = {
    "e": Finding("sed e command runs a shell command"),
    "w": Finding("sed w command writes a file"),
    "r": Finding("sed r command reads a file", dangerous=False),
    "?": Finding("sed script not understood", dangerous=False),
}
#: sed command letters by how much text follows them.
_SED_TO_EOL = {"a": "", "i": "", "c": "", "r": "r", "R": "r", "w": "w", "W": "w", "e": "e"}
_SED_LABEL = ":btTv"
_SED_SIMPLE = "=dDgGhHnNpPxzFqQlL"

_AWK = Syntax(
    short_values="fvFeEilW",
    long_values=names("--file", "--assign", "--field-separator", "--source", "--exec")
    | names("--include", "--load"),
    stop_at_operand=True,
)
_AWK_SYSTEM = re.compile(r"\bsystem\s*\(")
_AWK_PIPE = re.compile(r"(?<!\|)\|(?!\|)")
#: After these characters a `/` starts a regex literal rather than a division.
_AWK_REGEX_AFTER = "(,~!{};&|=?:\n"


def sed_findings(args: Sequence[str]) -> list[Finding]:
    """Findings for `sed ARGS`: `e`/`w` commands or flags anywhere in its scripts."""
    opts = scan(args, _SED)
    if has_option(opts, names("--sandbox")):
        return []  # GNU sed refuses e, w and r in sandbox mode
    findings: list[Finding] = []
    scripts = option_values(opts, names("-e", "--expression"))
    if has_option(opts, names("-f", "--file")):
        findings.append(Finding("sed script read from a file", dangerous=False))
    elif not scripts:
        scripts = operands(opts)[:1]
    for script in scripts:
        findings.extend(_SED_FINDINGS[kind] for kind in _sed_commands(script))
    return list(dict.fromkeys(findings))


def _sed_commands(s: str) -> Iterator[str]:
    """Yield "e", "w", "r" or "?" for each notable command of a sed script."""
    i, n = 0, len(s)
    while i < n:
        i = _skip_address(s, i)
        if i >= n:
            return
        c = s[i]
        i += 1
        if c in " \t\n;{}":
            continue
        if c == "#":
            i = _end_of_line(s, i)
        elif c in _SED_TO_EOL:
            if _SED_TO_EOL[c]:
                yield _SED_TO_EOL[c]
            i = _end_of_line(s, i)
        elif c in _SED_LABEL:
            while i < n and s[i] not in ";\n":
                i += 1
        elif c in "sy" and i < n:
            i = _skip_delimited(s, i + 1, s[i])
            i = _skip_delimited(s, i, s[i - 1])
            if c == "s":
                i = yield from _s_flags(s, i)
        elif c in _SED_SIMPLE:
            while i < n and s[i].isdigit():
                i += 1
        else:
            yield "?"
            return


def _s_flags(s: str, i: int) -> Generator[str, None, int]:
    """Yield the notable flags of an `s` command; returns the index after them."""
    while i < len(s) and s[i] not in ";\n}":
        if s[i] == "w":
            yield "w"
            return _end_of_line(s, i)
        if s[i] == "e":
            yield "e"
        i += 1
    return i


def _skip_address(s: str, i: int) -> int:
    n = len(s)
    while i < n:
        c = s[i]
        if c.isdigit() or c in "$,~+! \t":
            i += 1
        elif c in "/\\":
            delim = "/" if c == "/" else (s[i + 1] if i + 1 < n else "/")
            i = _skip_delimited(s, i + (1 if c == "/" else 2), delim)
            while i < n and s[i] in "IM":
                i += 1
        else:
            break
    return i


def _skip_delimited(s: str, i: int, delim: str) -> int:
    """Index after the next unescaped `delim` from `i`."""
    while i < len(s):
        if s[i] == "\\":
            i += 2
        elif s[i] == delim:
            return i + 1
        else:
            i += 1
    return len(s)


def _end_of_line(s: str, i: int) -> int:
    """Index of the end of the line at `i`, following backslash-newline continuations."""
    while i < len(s) and s[i] != "\n":
        i += 2 if s[i] == "\\" else 1
    return i


def awk_findings(args: Sequence[str]) -> list[Finding]:
    """Findings for `awk ARGS`: system(), pipes, extensions and programs we cannot see."""
    opts = scan(args, _AWK)
    findings: list[Finding] = []
    programs = option_values(opts, names("-e", "--source"))
    from_file = has_option(opts, names("-f", "--file", "-E", "--exec", "-i", "--include"))
    if from_file:
        findings.append(Finding("awk program read from a file", dangerous=False))
    if has_option(opts, names("-l", "--load")):
        findings.append(Finding("awk -l loads a native extension"))
    if not programs and not from_file:
        programs = operands(opts)[:1]
    for program in programs:
        if _AWK_SYSTEM.search(program):
            findings.append(Finding("awk system() runs a command"))
        if _AWK_PIPE.search(_awk_code(program)):
            findings.append(Finding("awk pipe runs a command"))
    return list(dict.fromkeys(findings))


def _awk_code(text: str) -> str:
    """The program with string and regex literals blanked, so a `|` inside them is not a pipe."""
    out: list[str] = []
    prev = "\n"
    i = 0
    while i < len(text):
        c = text[i]
        if c == '"' or (c == "/" and prev in _AWK_REGEX_AFTER):
            i = _skip_delimited(text, i + 1, c)
            out.append(c + c)
            prev = c
            continue
        if c == "#":
            i = _end_of_line(text, i)
            continue
        out.append(c)
        if not c.isspace():
            prev = c
        i += 1
    return "".join(out)
