"""Compiled matchers: command prefix patterns, argument globs and path globs.

Command patterns follow Codex's `prefix_rule`: a list of elements, each a literal token or a list
of alternatives, matched against the start of a command's normalised argv. Two additions: the
element `"*"` matches any one token (at position 0 only a bare program name, never a path, so
`/tmp/cat` cannot pass for `cat`), and argument globs (`fnmatch` syntax) test single tokens.

Path globs are absolute after expansion: `{workspace}` and `~` expand, a glob without either and
without a leading `/` is relative to the workspace, `*` and `?` stay inside one component (dot
files included), `**` as a whole component spans any number of components, and `DIR/**` also
matches DIR itself. Literal leading components are resolved like request paths are, so a glob
names the same file whether or not its directory is reached through a symlink.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

WILDCARD = "*"
_GLOB_CHARS = frozenset("*?[")
WORKSPACE_VAR = "{workspace}"


@dataclass(frozen=True, slots=True)
class CommandPattern:
    """A compiled prefix pattern; `None` in `elements` is the one-token wildcard."""

    elements: tuple[frozenset[str] | None, ...]

    def prefix_len(self, tokens: Sequence[str]) -> int | None:
        """The number of tokens the pattern consumes when it matches a prefix of `tokens`."""
        if len(tokens) < len(self.elements):
            return None
        for index, (element, token) in enumerate(zip(self.elements, tokens, strict=False)):
            if element is None:
                if index == 0 and "/" in token:
                    return None
            elif token not in element:
                return None
        return len(self.elements)

    def describe(self) -> str:
        """The pattern in policy-file notation, for messages."""
        shown = (
            WILDCARD if e is None else next(iter(e)) if len(e) == 1 else "|".join(sorted(e))
            for e in self.elements
        )
        return " ".join(shown)


def compile_pattern(raw: Sequence[str | Sequence[str]]) -> CommandPattern:
    """Compile one pattern from the file (already shape-checked by the model)."""
    elements: list[frozenset[str] | None] = []
    for element in raw:
        if isinstance(element, str):
            elements.append(None if element == WILDCARD else frozenset((element,)))
        else:
            elements.append(frozenset(element))
    return CommandPattern(tuple(elements))


@dataclass(frozen=True, slots=True)
class ArgGlobs:
    """A set of `fnmatch` globs over single argv tokens."""

    globs: tuple[str, ...]
    _regex: re.Pattern[str]

    @classmethod
    def of(cls, globs: Iterable[str]) -> ArgGlobs:
        """Compile `globs` into one alternation."""
        kept = tuple(globs)
        body = "|".join(f"(?:{fnmatch.translate(g)})" for g in kept) or "(?!)"
        return cls(kept, re.compile(body))

    def matches(self, token: str) -> bool:
        """True when `token` matches one of the globs."""
        return self._regex.match(token) is not None


_CLUSTER = re.compile(r"-[A-Za-z0-9]{2,}")
#: Programs whose options are whole words after one dash (`find -maxdepth`), never clusters.
SINGLE_DASH_LONG = frozenset(
    {"find", "java", "javac", "go", "gcc", "g++", "cc", "clang", "ld", "zip", "ffmpeg", "openssl"}
)


@lru_cache(maxsize=4096)
def arg_words(program: str, args: tuple[str, ...]) -> tuple[str, ...]:
    """`args` plus each letter of every short-option cluster: `-xdf` also yields -x, -d, -f.

    `with_args` globs test these words, so a rule naming `-f` also sees `rm -rf`; a cluster that
    carries a value (`-ofile`) yields spurious letters too, which only ever makes a rule apply
    more often (the rules that use `with_args` are there to make decisions stricter).
    """
    if program in SINGLE_DASH_LONG:
        return args
    words = list(args)
    for arg in args:
        if _CLUSTER.fullmatch(arg):
            words.extend(f"-{letter}" for letter in arg[1:])
    return tuple(words)


def glob_error(glob: str) -> str | None:
    """Why `glob` is not a valid path glob, or None when it is."""
    if glob.startswith(WORKSPACE_VAR):
        rest = glob[len(WORKSPACE_VAR) :]
        if rest and not rest.startswith("/"):
            return f"'{glob}': '{{workspace}}' must be followed by '/' or nothing"
    elif glob.startswith("~") and not (glob == "~" or glob.startswith("~/")):
        return f"'{glob}': only '~' and '~/…' expand (no '~user')"
    body = glob.removeprefix(WORKSPACE_VAR)
    if "{" in body or "}" in body:
        return f"'{glob}': braces are reserved for '{{workspace}}' at the start"
    if any(part in (".", "..") for part in body.split("/")):
        return f"'{glob}': '.' and '..' components are not allowed"
    return None


def expand_glob(glob: str, *, workspace: str, home: str) -> str:
    """The absolute glob text: `{workspace}`, `~` and workspace-relative globs expanded."""
    if glob.startswith(WORKSPACE_VAR):
        return workspace + glob[len(WORKSPACE_VAR) :]
    if glob == "~" or glob.startswith("~/"):
        return home + glob[1:]
    if glob.startswith("/"):
        return glob
    return f"{workspace}/{glob}"


def _component_regex(component: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(component):
        char = component[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and (end := component.find("]", i + 2)) != -1:
            body = component[i + 1 : end]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            escaped = "".join("\\" + c if c in "\\^]" else c for c in body)
            out.append(f"[^/{escaped}]" if negate else f"[{escaped}]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _resolve_literal_prefix(expanded: str) -> str:
    components = expanded.split("/")
    literal = 0
    for component in components[1:]:
        if _GLOB_CHARS.intersection(component):
            break
        literal += 1
    if literal == 0:
        return expanded
    prefix = "/".join(components[: literal + 1])
    resolved = os.path.realpath(prefix)
    rest = components[literal + 1 :]
    return "/".join([resolved.rstrip("/"), *rest]) if rest else resolved


@lru_cache(maxsize=4096)
def path_regex(glob: str, workspace: str, home: str) -> re.Pattern[str]:
    """The compiled regex for `glob` under `workspace` and `home` (both already resolved).

    Cached: glob prefixes are resolved once per (glob, workspace, home); the loader clears the
    cache when a policy is (re)loaded.
    """
    expanded = _resolve_literal_prefix(expand_glob(glob, workspace=workspace, home=home))
    regex = ""
    for component in expanded.split("/")[1:]:
        if component == "**":
            regex += "(?:/[^/]+)*"
        elif component:
            regex += "/" + _component_regex(component)
    return re.compile(regex + r"\Z")


def path_text(path: str) -> str:
    """The form paths are matched in: the root directory is the empty string."""
    return "" if path == "/" else path


def any_glob_matches(globs: Iterable[str], path: str, *, workspace: str, home: str) -> bool:
    """True when the resolved absolute `path` matches one of `globs`."""
    text = path_text(path)
    return any(path_regex(g, workspace, home).match(text) for g in globs)


def clear_caches() -> None:
    """Forget compiled path globs (their resolved prefixes may have moved)."""
    path_regex.cache_clear()
