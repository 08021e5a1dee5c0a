"""Ceilings: the most a role may do, and why delegation can only narrow it.

A ceiling is a conjunction. Its tools are a set; its paths and commands are *layers*, each layer a
set of globs or patterns of which one must match, and every layer must hold. Intersecting two
ceilings therefore intersects the tool sets and unions the layers: the result allows exactly what
both sides allow, so it is commutative, idempotent and can never grant what either side lacks.
An absent layer places no limit on that dimension (the rules still decide there).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from agents.auth.matchers import CommandPattern, any_glob_matches
from agents.auth.requests import ToolKind

PathLayer = frozenset[str]
CommandLayer = frozenset[CommandPattern]


@dataclass(frozen=True, slots=True)
class Ceiling:
    """The most a role may do; build with `unrestricted()` or `of(...)`, narrow with `intersect`."""

    tools: frozenset[ToolKind]
    path_layers: frozenset[PathLayer] = frozenset()
    command_layers: frozenset[CommandLayer] = frozenset()

    @classmethod
    def unrestricted(cls) -> Ceiling:
        """The top ceiling: every tool, no path or command limit."""
        return cls(frozenset(ToolKind))

    @classmethod
    def of(
        cls,
        tools: Iterable[ToolKind],
        *,
        paths: Iterable[str] | None = None,
        commands: Iterable[CommandPattern] | None = None,
    ) -> Ceiling:
        """A one-layer ceiling; `None` leaves a dimension unlimited, empty forbids all of it."""
        return cls(
            frozenset(tools),
            frozenset() if paths is None else frozenset({frozenset(paths)}),
            frozenset() if commands is None else frozenset({frozenset(commands)}),
        )

    def intersect(self, other: Ceiling) -> Ceiling:
        """What both ceilings allow: a handoff passes `delegator.intersect(profile)` on."""
        return Ceiling(
            self.tools & other.tools,
            self.path_layers | other.path_layers,
            self.command_layers | other.command_layers,
        )

    def allows_tools(self, tools: Iterable[ToolKind]) -> bool:
        """True when every tool in `tools` is within the ceiling."""
        return self.tools.issuperset(tools)

    def allows_path(self, path: str, *, workspace: str, home: str) -> bool:
        """True when the resolved `path` is inside every path layer."""
        return all(
            any_glob_matches(layer, path, workspace=workspace, home=home)
            for layer in self.path_layers
        )

    def allows_command(self, tokens: Sequence[str]) -> bool:
        """True when `tokens` (program first) start with a pattern of every command layer."""
        return all(
            any(p.prefix_len(tokens) is not None for p in layer) for layer in self.command_layers
        )

    def describe(self) -> str:
        """A short human summary, for reasons and the roster panel."""
        tools = ", ".join(sorted(self.tools)) or "no tools"
        limits = []
        if self.path_layers:
            limits.append(f"{len(self.path_layers)} path limit(s)")
        if self.command_layers:
            limits.append(f"{len(self.command_layers)} command limit(s)")
        return tools + (f"; {', '.join(limits)}" if limits else "")
