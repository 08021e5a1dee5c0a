"""The values that cross the gate: a tool call, the precedent it may ride on, and the answer."""

from __future__ import annotations

from dataclasses import dataclass

from agents.approvals.broker import Resolution
from agents.auth.ceiling import Ceiling
from agents.auth.requests import Decision, ToolRequest, Verdict
from sessions.schema.base import JsonObject


@dataclass(frozen=True, slots=True, kw_only=True)
class Precedent:
    """The decision on an agent's permission request, which the execution carrying it out
    rides on: one action, one decision."""

    call_id: str
    """The permission request's call id (the agent's ``toolCallId``)."""
    allowed: bool
    approval_id: str | None = None
    """The approval a human answered for it, when one was asked."""
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCall:
    """One tool call an agent wants to make, with who asked and the ceiling it inherited."""

    session_id: str
    agent_id: str
    call_id: str
    request: ToolRequest
    summary: str
    ceiling: Ceiling | None = None
    diff: str | None = None
    secret_vars: frozenset[str] = frozenset()
    """The environment variables the team file granted this agent (they hold secrets)."""
    raw_input: JsonObject | None = None
    """What the agent announced as the tool's input (recorded with the request)."""
    rides_on: Precedent | None = None
    """The permission decision this execution carries out, if it matched one."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Authorization:
    """The gate's final answer: may the call run, and why."""

    allowed: bool
    decision: Decision
    verdict: Verdict
    resolution: Resolution | None = None
    precedent: Precedent | None = None
    """The permission decision the call rode on (it was not asked again)."""

    @property
    def approval_id(self) -> str | None:
        """The human approval this call runs under: its own, or its permission request's."""
        if self.resolution is not None:
            return self.resolution.approval_id
        return self.precedent.approval_id if self.precedent is not None else None

    @property
    def reason(self) -> str:
        """One sentence for the agent and the timeline."""
        if self.resolution is not None:
            return f"{self.resolution.outcome.value}: {self.resolution.reason}".rstrip(": ")
        return self.verdict.reason
