"""Where quoted and bracketed spans of shell text end, and `$'...'` escape decoding.

Used by `shell_words` to find the code inside `$(...)`, `${...}` and backticks without a full
parse: quotes, escapes, comments and nesting are honoured; an unclosed span runs to the end.
"""

from __future__ import annotations

import re

_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "e": "\x1b",
    "E": "\x1b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "?": "?",
}
_HEX_ESCAPE_WIDTHS = {"x": 2, "u": 4, "U": 8}
_HEX = "0123456789abcdefABCDEF"


def match_paren(s: str, j: int) -> int:
    """Index of the `)` closing the `(` just before `j` (len(s) if unclosed)."""
    depth = 1
    start = j
    n = len(s)
    while j < n:
        c = s[j]
        if c == "\\":
            j += 2
            continue
        if c == "'":
            end = s.find("'", j + 1)
            j = n if end < 0 else end + 1
            continue
        if c == '"':
            j = skip_dquote(s, j + 1)
            continue
        if c == "`":
            j = skip_backtick(s, j + 1)
            continue
        if c == "#" and (j == start or s[j - 1] in " \t\n;|&("):
            end = s.find("\n", j)
            j = n if end < 0 else end
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j
        j += 1
    return n


def match_brace(s: str, j: int) -> int:
    """Index of the `}` closing the `${` just before `j` (len(s) if unclosed)."""
    depth = 1
    n = len(s)
    while j < n:
        c = s[j]
        if c == "\\":
            j += 2
            continue
        if c == '"':
            j = skip_dquote(s, j + 1)
            continue
        if c == "$" and s.startswith("(", j + 1):
            j = match_paren(s, j + 2) + 1
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return j
        j += 1
    return n


def skip_dquote(s: str, j: int) -> int:
    """Index after the `"` closing a double-quoted span that starts at `j`."""
    n = len(s)
    while j < n:
        c = s[j]
        if c == "\\":
            j += 2
        elif c == '"':
            return j + 1
        elif c == "$" and s.startswith("(", j + 1):
            j = match_paren(s, j + 2) + 1
        elif c == "`":
            j = skip_backtick(s, j + 1)
        else:
            j += 1
    return n


def skip_backtick(s: str, j: int) -> int:
    """Index after the backtick closing a substitution that starts at `j`."""
    n = len(s)
    while j < n:
        if s[j] == "\\":
            j += 2
        elif s[j] == "`":
            return j + 1
        else:
            j += 1
    return n


def ansi_escape(s: str, k: int) -> tuple[str, int]:
    """Decode the escape whose letter is at `k` inside `$'...'`; returns (text, next index)."""
    c = s[k]
    if c in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[c], k + 1
    if c in "01234567":
        m = re.match(r"[0-7]{1,3}", s[k:])
        assert m is not None  # c itself is an octal digit
        return chr(int(m.group(), 8) & 0xFF), k + m.end()
    if c in _HEX_ESCAPE_WIDTHS:
        width = _HEX_ESCAPE_WIDTHS[c]
        digits = ""
        while len(digits) < width and k + 1 + len(digits) < len(s):
            d = s[k + 1 + len(digits)]
            if d not in _HEX:
                break
            digits += d
        value = int(digits, 16) if digits else -1
        if 0 <= value <= 0x10FFFF:
            return chr(value), k + 1 + len(digits)
        return "\\" + c + digits, k + 1 + len(digits)
    if c == "c" and k + 1 < len(s):
        return chr(ord(s[k + 1]) & 0x1F), k + 2
    return "\\" + c, k + 1
