"""A policy compiled for deciding: rules with their matchers built once, role ceilings, an index.

A request is split into *parts* (one per simple command, per path, or the request itself); a rule
applies to a part when every matcher it has is satisfied by the part's facts, and a matcher whose
fact the part lacks (a `commands` matcher on a file read, say) is not satisfied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from agents.auth.ceiling import Ceiling
from agents.auth.hazards import Floor
from agents.auth.matchers import ArgGlobs, CommandPattern, any_glob_matches, arg_words
from agents.auth.policy_model import PolicyFile
from agents.auth.requests import Decision, ToolKind
from agents.auth.shell_types import Flow


@dataclass(frozen=True, slots=True, kw_only=True)
class Part:
    """One thing to decide: a simple command, a path it or a file tool touches, or the request.

    `tokens` is the normalised argv (program first) of a command part; `paths` are resolved
    absolute paths (a command part carries all of its command's paths); `path` is set on path
    parts only, with `write` telling whether it is written. Path parts carry no tokens, so
    `commands` rules judge commands and path rules judge every file they touch. `flows` are
    what reaches a command part from other commands of its line (see `downloads`).
    """

    subject: str
    tools: frozenset[ToolKind]
    tokens: tuple[str, ...] | None = None
    paths: tuple[str, ...] | None = None
    path: str | None = None
    write: bool = False
    floors: tuple[Floor, ...] = ()
    flows: frozenset[Flow] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class CompiledRule:
    """A `[[rules]]` entry with its matchers compiled and its set references expanded."""

    index: int
    id: str
    decision: Decision
    reason: str
    tools: frozenset[ToolKind] | None = None
    commands: tuple[CommandPattern, ...] | None = None
    with_args: ArgGlobs | None = None
    only_args: ArgGlobs | None = None
    paths: tuple[str, ...] | None = None
    roles: frozenset[str] | None = None
    flows: frozenset[Flow] | None = None

    def applies(self, part: Part, role: str, *, workspace: str, home: str) -> bool:
        """True when every matcher of the rule is satisfied by `part` for `role`.

        A command part carries every path its command touches; only a rule that also names
        commands judges it by them, and then a rule that allows needs all of them to match its
        `paths`, a rule that asks or denies needs one (the stricter reading either way).
        """
        if self.roles is not None and role not in self.roles:
            return False
        if self.tools is not None and self.tools.isdisjoint(part.tools):
            return False
        if self.flows is not None and self.flows.isdisjoint(part.flows):
            return False
        if (self.commands is not None or self.with_args is not None) and not (
            part.tokens and self._command_matches(part.tokens)
        ):
            return False
        if self.paths is not None:
            names_commands = self.commands is not None or self.with_args is not None
            if not part.paths or (part.tokens is not None and not names_commands):
                return False  # a pure path rule judges each file, never the whole command
            test = all if self.decision is Decision.ALLOW else any
            globs = self.paths
            return test(
                any_glob_matches(globs, p, workspace=workspace, home=home) for p in part.paths
            )
        return True

    def _command_matches(self, tokens: tuple[str, ...]) -> bool:
        if self.commands is None:
            return self._args_match(tokens[0], tokens[1:])
        for pattern in self.commands:
            consumed = pattern.prefix_len(tokens)
            if consumed is None:
                continue
            rest = tokens[consumed:]
            if self.only_args is not None and not all(self.only_args.matches(t) for t in rest):
                continue
            if self._args_match(tokens[0], rest):
                return True
        return False

    def _args_match(self, program: str, args: tuple[str, ...]) -> bool:
        with_args = self.with_args
        return with_args is None or any(with_args.matches(w) for w in arg_words(program, args))

    @property
    def programs(self) -> frozenset[str] | None:
        """The program names the rule can match, or None when it is not tied to a program."""
        if self.commands is None:
            return None
        names: set[str] = set()
        for pattern in self.commands:
            first = pattern.elements[0]
            if first is None:
                return None
            names |= first
        return frozenset(names)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadedPolicy:
    """A validated, compiled policy and the exact bytes it came from."""

    policy: PolicyFile
    source: Path | None
    sha256: str
    rules: tuple[CompiledRule, ...]
    ceilings: Mapping[str, Ceiling]
    _by_program: dict[str, tuple[CompiledRule, ...]] = field(default_factory=dict, repr=False)
    _generic: tuple[CompiledRule, ...] = field(default=(), repr=False)
    _no_command: tuple[CompiledRule, ...] = field(default=(), repr=False)

    @classmethod
    def build(
        cls,
        policy: PolicyFile,
        *,
        source: Path | None,
        sha256: str,
        rules: tuple[CompiledRule, ...],
        ceilings: Mapping[str, Ceiling],
    ) -> LoadedPolicy:
        """Index `rules` by program so a decision only looks at rules that can apply."""
        generic = tuple(r for r in rules if r.programs is None)
        by_program: dict[str, list[CompiledRule]] = {}
        for rule in rules:
            for name in rule.programs or ():
                by_program.setdefault(name, []).append(rule)
        index = {
            name: tuple(sorted((*specific, *generic), key=lambda r: r.index))
            for name, specific in by_program.items()
        }
        no_command = tuple(r for r in rules if r.commands is None)
        return cls(
            policy=policy,
            source=source,
            sha256=sha256,
            rules=rules,
            ceilings=dict(ceilings),
            _by_program=index,
            _generic=generic,
            _no_command=no_command,
        )

    def candidates(self, part: Part) -> tuple[CompiledRule, ...]:
        """The rules that might apply to `part`, in file order."""
        if not part.tokens:
            return self._no_command
        return self._by_program.get(part.tokens[0], self._generic)

    @property
    def protected_globs(self) -> tuple[str, ...]:
        """Extra protected globs from `[settings]`."""
        return tuple(self.policy.settings.protected_paths)
