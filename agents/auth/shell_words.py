"""Shell words as bash reads them: quote removal, `$'...'` decoding, and what stays unexpanded.

bashlex's own `word` attribute is not trusted: it mangles `$'\\x72\\x6d'` and does not look for
command substitutions inside `${...}`. Words are re-read here from their source text instead.
Expansions are left verbatim in `Word.text` (we never guess a variable's value); `expansions` says
which kinds were present so the caller can refuse to trust the word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agents.auth.shell_spans import ansi_escape, match_brace, match_paren

PARAMETER = "parameter expansion"
COMMAND = "command substitution"
ARITHMETIC = "arithmetic expansion"
PROCESS = "process substitution"
GLOB = "glob"
BRACE = "brace expansion"
TILDE = "tilde expansion"

#: Directories whose programs are the system's own: `/usr/bin/rm` is `rm`, `/tmp/rm` is not.
SYSTEM_BIN_DIRS = frozenset({"/bin", "/usr/bin", "/usr/local/bin", "/sbin", "/usr/sbin"})

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IFS_PARAM = re.compile(r"[!#]?IFS(?![A-Za-z0-9_])")


@dataclass(frozen=True, slots=True)
class Substitution:
    """Code bash runs while expanding a word: `kind` is "$(", "`", "<(" or ">("."""

    kind: str
    code: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Word:
    """One word: `text` after quote removal (expansions verbatim), and what it would expand."""

    raw: str
    text: str
    quoted: bool
    decoded: bool
    expansions: frozenset[str]
    substitutions: tuple[Substitution, ...]
    mentions_ifs: bool

    @property
    def literal(self) -> bool:
        """True when bash would use `text` as it is, with no expansion at run time."""
        return not self.expansions


def decode_word(raw: str) -> Word:
    """Read one shell word from its source text; never raises."""
    scanner = _Scanner(s=raw)
    scanner.word()
    return scanner.result()


def find_substitutions(text: str) -> tuple[Substitution, ...]:
    """The command substitutions in an unquoted heredoc body (read like a double-quoted word)."""
    scanner = _Scanner(s=text)
    scanner.dquote(0, heredoc=True)
    return tuple(scanner.subs)


def normalise_program(text: str) -> str:
    """`/usr/bin/rm` -> `rm`; any other path is kept whole so `/tmp/cat` is never `cat`."""
    head, sep, base = text.rpartition("/")
    if sep and base and head in SYSTEM_BIN_DIRS:
        return base
    return text


def program_of(word: Word) -> tuple[str, list[str]]:
    """The program a command word names, with the concerns its spelling raises.

    A name bash would compute at run time is returned raw (so it matches no allow rule).
    """
    concerns = [f"{kind} in program name" for kind in sorted(word.expansions)]
    if word.decoded:
        concerns.append("obfuscated program name ($'...' quoting)")
    if word.expansions:
        return word.raw, concerns
    if not word.text:
        concerns.append("empty program name")
    return normalise_program(word.text), concerns


@dataclass(kw_only=True)
class _Scanner:
    """A single pass over one word's source, collecting its text and expansions."""

    s: str
    out: list[str] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)
    subs: list[Substitution] = field(default_factory=list)
    quoted: bool = False
    decoded: bool = False
    ifs: bool = False

    def result(self) -> Word:
        return Word(
            raw=self.s,
            text="".join(self.out),
            quoted=self.quoted,
            decoded=self.decoded,
            expansions=frozenset(self.kinds),
            substitutions=tuple(self.subs),
            mentions_ifs=self.ifs,
        )

    def word(self) -> None:
        i = 0
        while i < len(self.s):
            i = self._unquoted(i)

    def _unquoted(self, i: int) -> int:
        s = self.s
        c = s[i]
        nxt = s[i + 1] if i + 1 < len(s) else ""
        if c == "\\":
            self.quoted = True
            if nxt != "\n":
                self.out.append(nxt or "\\")
            return i + 2
        if c == "'":
            self.quoted = True
            end = s.find("'", i + 1)
            end = len(s) if end < 0 else end
            self.out.append(s[i + 1 : end])
            return end + 1
        if c == '"':
            self.quoted = True
            return self.dquote(i + 1)
        if c == "$" and nxt in ("'", '"'):
            self.quoted = self.decoded = True
            return self._ansi_c(i + 2) if nxt == "'" else self.dquote(i + 2)
        if c == "$":
            return self._dollar(i)
        if c == "`":
            return self._backtick(i)
        if c in "<>" and nxt == "(":
            end = match_paren(s, i + 2)
            self.subs.append(Substitution(c + "(", s[i + 2 : end]))
            self.kinds.add(PROCESS)
            self.out.append(s[i : end + 1])
            return end + 1
        self._note_pattern(i, c)
        self.out.append(c)
        return i + 1

    def _note_pattern(self, i: int, c: str) -> None:
        s = self.s
        if c in "*?" or (c == "[" and "]" in s[i + 1 :]):
            self.kinds.add(GLOB)
        elif c == "~" and i == 0:
            self.kinds.add(TILDE)
        elif c == "{":
            end = s.find("}", i + 1)
            body = s[i + 1 : end] if end > 0 else ""
            if "," in body or ".." in body:
                self.kinds.add(BRACE)

    def dquote(self, i: int, *, heredoc: bool = False) -> int:
        """Read a double-quoted span from `i` (a heredoc body has no closing quote)."""
        s = self.s
        while i < len(s):
            c = s[i]
            if c == '"' and not heredoc:
                return i + 1
            if c == "\\" and i + 1 < len(s) and s[i + 1] in "$`\\\n" + ("" if heredoc else '"'):
                if s[i + 1] != "\n":
                    self.out.append(s[i + 1])
                i += 2
            elif c == "$":
                i = self._dollar(i)
            elif c == "`":
                i = self._backtick(i)
            else:
                self.out.append(c)
                i += 1
        return len(s)

    def _dollar(self, i: int) -> int:
        s = self.s
        nxt = s[i + 1] if i + 1 < len(s) else ""
        if s.startswith("$((", i):
            end = match_paren(s, i + 2)
            self.kinds.add(ARITHMETIC)
            self.subs.extend(find_substitutions(s[i + 3 : end]))
            return self._verbatim(i, end + 1)
        if nxt == "(":
            end = match_paren(s, i + 2)
            self.subs.append(Substitution("$(", s[i + 2 : end]))
            self.kinds.add(COMMAND)
            return self._verbatim(i, end + 1)
        if nxt == "{":
            end = match_brace(s, i + 2)
            inner = s[i + 2 : end]
            self.kinds.add(PARAMETER)
            self.ifs = self.ifs or bool(_IFS_PARAM.match(inner))
            self.subs.extend(find_substitutions(inner))
            return self._verbatim(i, end + 1)
        if nxt == "[":
            end = s.find("]", i + 2)
            end = len(s) if end < 0 else end
            self.kinds.add(ARITHMETIC)
            self.subs.extend(find_substitutions(s[i + 2 : end]))
            return self._verbatim(i, end + 1)
        name = _NAME.match(s, i + 1)
        if name:
            self.kinds.add(PARAMETER)
            self.ifs = self.ifs or name.group() == "IFS"
            return self._verbatim(i, name.end())
        if nxt and nxt in "0123456789@*#?$!-":
            self.kinds.add(PARAMETER)
            return self._verbatim(i, i + 2)
        self.out.append("$")
        return i + 1

    def _verbatim(self, start: int, end: int) -> int:
        self.out.append(self.s[start:end])
        return end

    def _backtick(self, i: int) -> int:
        s = self.s
        j = i + 1
        code: list[str] = []
        while j < len(s) and s[j] != "`":
            if s[j] == "\\" and j + 1 < len(s) and s[j + 1] in "`$\\":
                j += 1
            code.append(s[j])
            j += 1
        self.subs.append(Substitution("`", "".join(code)))
        self.kinds.add(COMMAND)
        return self._verbatim(i, j + 1)

    def _ansi_c(self, i: int) -> int:
        s = self.s
        buf: list[str] = []
        cut = False  # bash ends the string at a NUL, as the C string it becomes would
        while i < len(s) and s[i] != "'":
            if s[i] == "\\" and i + 1 < len(s):
                ch, i = ansi_escape(s, i + 1)
            else:
                ch, i = s[i], i + 1
            cut = cut or ch == "\0"
            if not cut:
                buf.append(ch)
        self.out.append("".join(buf))
        return i + 1
