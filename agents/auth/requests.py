"""The values that cross the policy gate: what an agent asks to do, and what the policy answers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sessions.schema.policy import PolicySource


class Decision(StrEnum):
    """What the gate does with a tool call; ordered allow < ask < deny by strictness."""

    ALLOW = "allow"
    ASK = "ask"
    DENY = "deny"

    @property
    def rank(self) -> int:
        """Strictness: 0 allow, 1 ask, 2 deny."""
        return _RANK[self]


_RANK = {Decision.ALLOW: 0, Decision.ASK: 1, Decision.DENY: 2}


def strictest(*decisions: Decision) -> Decision:
    """The strictest of `decisions` (deny > ask > allow); ALLOW when given none."""
    return max(decisions, key=_RANK.__getitem__, default=Decision.ALLOW)


class ToolKind(StrEnum):
    """ACP tool kinds, as reported in an agent's `tool_call` updates."""

    READ = "read"
    EDIT = "edit"
    DELETE = "delete"
    MOVE = "move"
    SEARCH = "search"
    EXECUTE = "execute"
    THINK = "think"
    FETCH = "fetch"
    OTHER = "other"


#: Tools whose path operands are written (or removed) rather than only read.
WRITE_TOOLS = frozenset({ToolKind.EDIT, ToolKind.DELETE, ToolKind.MOVE, ToolKind.OTHER})
#: Tools that act on the paths they are given.
PATH_TOOLS = frozenset(
    {ToolKind.READ, ToolKind.EDIT, ToolKind.DELETE, ToolKind.MOVE, ToolKind.SEARCH}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolRequest:
    """One tool call an agent in `role` wants to make inside `workspace`."""

    tool: ToolKind
    role: str
    workspace: Path
    command: str | None = None
    paths: tuple[str, ...] = ()
    url: str | None = None
    cwd: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PartVerdict:
    """The decision on one part of a request: a simple command, a path, or the request itself.

    `source` says what decided it: "rule", "default", "ceiling" or "analysis".
    """

    decision: Decision
    rule_id: str | None
    reason: str
    subject: str
    source: PolicySource = "rule"


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """The gate's answer to a request, with the part that made it and the policy version."""

    decision: Decision
    rule_id: str | None
    reason: str
    policy_hash: str
    source: PolicySource
    parts: tuple[PartVerdict, ...]

    @property
    def allowed(self) -> bool:
        """True when the call may run without asking anyone."""
        return self.decision is Decision.ALLOW
