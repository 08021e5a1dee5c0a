"""Shell command analysis: every simple command a bash line would run, and why to distrust it.

`analyze()` parses with bashlex, walks lists, pipelines, compound commands and substitutions,
re-reads each word as bash would (`shell_words`), peels wrappers (`wrappers`), recurses into
shell code hidden in strings (`interpreters`) and applies per-tool option rules (`dangerous`).
It never raises: whatever it cannot read comes back as `parsed=False` with a concern, so the
policy engine can ask instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import bashlex

from agents.auth import dangerous, downloads, interpreters
from agents.auth.shell_types import WRITE_OPS, Redirect, ShellAnalysis, SimpleCommand
from agents.auth.shell_words import Word, decode_word, find_substitutions, program_of
from agents.auth.wrappers import unwrap

__all__ = [
    "MAX_SOURCE_BYTES",
    "Redirect",
    "ShellAnalysis",
    "ShellParseError",
    "SimpleCommand",
    "analyze",
    "parse",
]

#: Longer command lines are not parsed at all (bashlex is slow on huge input; agents do not
#: need them).
MAX_SOURCE_BYTES = 64 * 1024
#: How deep `bash -c "eval '...'"`-style nesting is followed before giving up.
MAX_DEPTH = 8
#: Total characters parsed for one analysis, nested strings included (each level re-parses).
MAX_TOTAL_CHARS = 4 * MAX_SOURCE_BYTES

# bashlex rejects two common, valid forms; both are rewritten to same-length text it accepts,
# so node positions still index the original source, from which every word is re-read.
_TIME_KEYWORD = re.compile(r"(?<![^\s;&|(){}!`])time(?=[\s;&|)]|$)")
_QUOTED_DELIMITER = re.compile(r"(?<!<)<<(?!<)-?[ \t]*(?:'\w+'|\"\w+\"|\\\w+)")
_NETWORK_PATHS = ("/dev/tcp/", "/dev/udp/")
#: Redirections that fill a command's stdin (a file, a heredoc, a here-string).
_STDIN_OPS = frozenset({"<", "<<", "<<<"})


class ShellParseError(ValueError):
    """Shell text we cannot analyse: a bashlex failure, an unsupported construct, or a guard."""


def analyze(command: str) -> ShellAnalysis:
    """Analyse one shell command line; never raises (failures give `parsed=False`)."""
    try:
        return _Walker(_Budget(), depth=0, nested=False).run(command)
    except Exception as exc:  # the contract is fail-closed: report, never raise
        reason = f"could not analyse: {type(exc).__name__}: {exc}"
        return ShellAnalysis(source=command, commands=(), concerns=(reason,), parsed=False)


@dataclass
class _Budget:
    chars_left: int = MAX_TOTAL_CHARS


def _prepare(text: str) -> str:
    """Rewrite `time` and quoted heredoc delimiters into forms bashlex parses, same length."""
    text = _TIME_KEYWORD.sub("TIME", text)
    return _QUOTED_DELIMITER.sub(lambda m: re.sub(r"['\"\\]", " ", m.group()), text)


def _children(node: Any) -> Iterator[Any]:
    for value in vars(node).values():
        if isinstance(value, bashlex.ast.node):
            yield value
        elif isinstance(value, list):
            yield from (v for v in value if isinstance(v, bashlex.ast.node))


def _end(node: Any) -> int:
    """Where a node really ends: a heredoc body lies beyond the command's own span."""
    return max([int(node.pos[1]), *(_end(child) for child in _children(node))])


def _check_blank(gap: str) -> None:
    for line in gap.replace("\\\n", "").split("\n"):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            raise ShellParseError(f"text bashlex skipped: {stripped[:40]!r}")


def parse(text: str) -> list[Any]:
    """bashlex's nodes for `text`; raises `ShellParseError` when any of it is not understood."""
    if all(not line.strip() or line.strip().startswith("#") for line in text.split("\n")):
        return []  # bashlex fails on input that is only blanks and comments
    try:
        nodes: list[Any] = bashlex.parse(_prepare(text))
    except Exception as exc:  # bashlex raises many exception types on valid bash
        raise ShellParseError(f"{type(exc).__name__}: {exc}") from exc
    # bashlex stops quietly when a later chunk does not parse: make sure nothing was skipped.
    cursor = 0
    for node in sorted(nodes, key=lambda n: int(n.pos[0])):
        _check_blank(text[cursor : int(node.pos[0])])
        cursor = max(cursor, _end(node))
    _check_blank(text[cursor:])
    return nodes


class _Walker:
    """Collects the simple commands of one piece of shell text (a top-level line or nested)."""

    def __init__(self, budget: _Budget, *, depth: int, nested: bool) -> None:
        self.budget = budget
        self.depth = depth
        self.nested = nested
        self.source = ""
        self.commands: list[SimpleCommand] = []
        self.concerns: list[str] = []

    def run(self, text: str) -> ShellAnalysis:
        self.source = text
        try:
            self._guard(text)
            for node in parse(text):
                self._walk(node, ())
            downloads.mark_fetched_scripts(self.commands)
        except ShellParseError as exc:
            self.concerns.append(f"could not parse: {exc}")
            return self._result(parsed=False)
        return self._result(parsed=True)

    def _result(self, *, parsed: bool) -> ShellAnalysis:
        concerns = tuple(dict.fromkeys(self.concerns))
        return ShellAnalysis(
            source=self.source, commands=tuple(self.commands), concerns=concerns, parsed=parsed
        )

    def _guard(self, text: str) -> None:
        if len(text.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
            raise ShellParseError(f"command longer than {MAX_SOURCE_BYTES // 1024} KiB")
        if self.depth > MAX_DEPTH:
            raise ShellParseError("shell code nested too deeply")
        self.budget.chars_left -= len(text)
        if self.budget.chars_left < 0:
            raise ShellParseError("analysis budget exhausted")

    def _walk(self, node: Any, inherited: tuple[Redirect, ...]) -> None:
        kind = node.kind
        if kind in ("list", "if", "for", "while", "until"):
            for part in node.parts:
                self._walk(part, inherited)
        elif kind == "pipeline":
            stages: list[tuple[int, int]] = []
            for part in node.parts:
                start = len(self.commands)
                self._walk(part, inherited)
                stages.append((start, len(self.commands)))
            downloads.mark_pipeline(self.commands, stages)
        elif kind == "compound":
            inner: list[SimpleCommand] = []
            outer = tuple(self._redirect(r, inner, self.concerns)[0] for r in node.redirects)
            self.commands.extend(inner)
            for part in node.list:
                self._walk(part, outer + inherited)
        elif kind == "command":
            self._command(node, inherited)
        elif kind == "word":  # a `for` loop's word list
            self.commands.extend(self._substitutions(self._word(node), self.concerns))
        elif kind == "function":
            self.concerns.append("defines a shell function (it can shadow any command)")
            for part in node.parts:
                if part.kind != "word":
                    self._walk(part, inherited)
        elif kind == "operator":
            if node.op == "&":
                self.concerns.append("background job")
        elif kind not in ("pipe", "reservedword"):
            raise ShellParseError(f"unsupported construct: {kind}")

    def _word(self, node: Any) -> Word:
        return decode_word(self.source[int(node.pos[0]) : int(node.pos[1])])

    def _nested(self, code: str, owner: list[str], label: str) -> list[SimpleCommand]:
        """Analyse shell code found inside this command; its concerns go to `owner`."""
        sub = _Walker(self.budget, depth=self.depth + 1, nested=True).run(code)
        owner.extend(f"{label}: {concern}" for concern in sub.concerns)
        return list(sub.commands)

    def _substitutions(self, word: Word, owner: list[str]) -> list[SimpleCommand]:
        found: list[SimpleCommand] = []
        for sub in word.substitutions:
            found.extend(self._nested(sub.code, owner, f"{sub.kind}...) substitution"))
        return found

    def _command(self, node: Any, inherited: tuple[Redirect, ...]) -> None:
        prefix: list[Word] = []
        words: list[Word] = []
        redirects: list[Redirect] = []
        feeds: list[tuple[str, str]] = []
        inner: list[SimpleCommand] = []
        concerns: list[str] = []
        fetched: dict[int, bool] = {}  # by id(word): a substitution in it talks to the network
        stdin_fetched = False
        for part in node.parts:
            start = len(inner)
            if part.kind in ("assignment", "word"):
                word = self._word(part)
                (prefix if part.kind == "assignment" and not words else words).append(word)
                inner.extend(self._substitutions(word, concerns))
                fetched[id(word)] = downloads.fetches(inner[start:])
            elif part.kind == "redirect":
                redirect, feed = self._redirect(part, inner, concerns)
                redirects.append(redirect)
                feeds.extend([feed] if feed else [])
                if redirect.op in _STDIN_OPS and downloads.fetches(inner[start:]):
                    stdin_fetched = True
            else:
                raise ShellParseError(f"unsupported construct in a command: {part.kind}")
        unwrapped = unwrap(words)
        concerns.extend(unwrapped.concerns)
        argv_words = unwrapped.words
        program, program_concerns = program_of(argv_words[0]) if argv_words else ("", [])
        concerns.extend(program_concerns)
        argv = tuple(w.text for w in argv_words)
        if any(w.mentions_ifs for w in argv_words[1:]):
            concerns.append("${IFS} in arguments")
        code = interpreters.inspect(program, argv[1:])
        concerns.extend(code.concerns)
        computed = [fetched.get(id(w), False) for w in argv_words[1:]]
        runs_download = downloads.runs_fetched(code, computed, stdin_fetched=stdin_fetched)
        for text in (*unwrapped.shell_code, *code.shell_code):
            inner.extend(self._nested(text, concerns, "inline shell code"))
        inner.extend(self._feeds(program, feeds, concerns))
        assignments = (*(w.text for w in prefix), *unwrapped.assignments)
        findings = dangerous.inspect(program, argv, assignments)
        danger = [f.reason for f in findings if f.dangerous]
        concerns.extend(f.reason for f in findings if not f.dangerous)
        all_redirects = (*redirects, *inherited)
        if any(r.is_file and r.target.startswith(_NETWORK_PATHS) for r in all_redirects):
            concerns.append("network redirection")
            danger.append("redirection to /dev/tcp or /dev/udp opens a network connection")
        self.commands.append(
            SimpleCommand(
                argv=argv,
                program=program,
                wrappers=unwrapped.wrappers,
                assignments=assignments,
                redirects=all_redirects,
                nested=self.nested,
                concerns=tuple(dict.fromkeys(concerns)),
                dangerous=tuple(dict.fromkeys(danger)),
                flows=(downloads.DOWNLOAD_EXEC,) if runs_download else (),
            )
        )
        self.commands.extend(inner)

    def _feeds(
        self, program: str, feeds: list[tuple[str, str]], owner: list[str]
    ) -> list[SimpleCommand]:
        """Heredocs and here-strings: shell code when fed to a shell, a concern for interpreters."""
        kind = interpreters.interpreter_kind(program)
        found: list[SimpleCommand] = []
        for label, text in feeds:
            if kind == "shell":
                owner.append(f"{label} fed to a shell")
                found.extend(self._nested(text, owner, label))
            elif kind == "interpreter":
                owner.append(f"{label} fed to an interpreter")
        return found

    def _redirect(
        self, node: Any, inner: list[SimpleCommand], owner: list[str]
    ) -> tuple[Redirect, tuple[str, str] | None]:
        """One redirection, plus the text it feeds to stdin (heredoc, here-string) if any."""
        op = str(node.type)
        if op in ("<<", "<<-"):
            return Redirect("<<", "", False), ("heredoc", self._heredoc(node, inner, owner))
        if not isinstance(node.output, bashlex.ast.node):
            return Redirect(op, str(node.output), False), None  # `2>&1`, `3>&-`
        word = self._word(node.output)
        inner.extend(self._substitutions(word, owner))
        if op == "<<<":
            return Redirect(op, word.text, False), ("here-string", word.text)
        if not word.literal:
            owner.append("redirection target is not a literal path")
        fd_dup = op in (">&", "<&") and (word.text.isdigit() or word.text == "-")
        writes = not fd_dup and (op in WRITE_OPS or op == ">&")
        return Redirect(op, word.text, writes), None

    def _heredoc(self, node: Any, inner: list[SimpleCommand], owner: list[str]) -> str:
        delimiter = self._word(node.output)
        start = int(node.output.pos[0])
        # A quoted delimiter was rewritten for bashlex; its quote still sits before the word.
        quoted = delimiter.quoted or (start > 0 and self.source[start - 1] in "'\"\\")
        body_node = getattr(node, "heredoc", None)
        if body_node is None:
            return ""
        lines = self.source[int(body_node.pos[0]) : int(body_node.pos[1])].split("\n")
        if node.type == "<<-":
            lines = [line.lstrip("\t") for line in lines]
        if lines and lines[-1] == delimiter.text:
            lines.pop()
        body = "\n".join(lines)
        if not quoted:
            for sub in find_substitutions(body):
                inner.extend(self._nested(sub.code, owner, f"heredoc {sub.kind}...) substitution"))
        return body
