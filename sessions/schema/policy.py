"""Policy and approval events: every decision, every human answer, every reload."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field

from sessions.schema.base import Payload

DecisionValue = Literal["allow", "ask", "deny"]
PolicySource = Literal["rule", "default", "ceiling", "analysis"]
"""What made the policy's own verdict: a rule, no rule (ask), a role's ceiling, the analysis."""
AnswerSource = Literal["human", "timeout", "cancel", "permission"]
"""What decided an "ask" after the verdict: a human's answer, the timeout, a cancel, or the
decision on the agent's permission request that this execution carries out."""
DecisionSource = Literal[PolicySource, AnswerSource]
"""Every source a ``policy.decided`` records."""
Risk = Literal["low", "medium", "high"]
"""How much an approval request is flagged in the queue."""
POLICY_SOURCES: frozenset[str] = frozenset(get_args(PolicySource))
"""The sources of a verdict the policy made itself (the others answer an "ask" after it)."""


class PolicyDecided(Payload):
    """The AuthAgent's attributed decision on one tool call."""

    KIND = "policy.decided"

    call_id: str
    decision: DecisionValue
    rule_id: str | None = None
    reason: str = ""
    policy_path: str | None = None
    policy_hash: str
    source: DecisionSource
    decided_by: str | None = None
    elapsed_ms: float = 0.0
    rides_on: str | None = Field(
        default=None,
        description="call id of the permission request whose decision this execution carries out",
    )
    approval_id: str | None = Field(
        default=None, description="the approval a human answered for that permission request"
    )


class ApprovalRequested(Payload):
    """An "ask" waiting for a human; on disk before anyone can see it."""

    KIND = "approval.requested"

    approval_id: str
    call_id: str
    agent_id: str
    role: str
    tool: str
    summary: str
    command: str | None = None
    diff: str | None = None
    paths: list[str] = Field(default_factory=list)
    cwd: str | None = None
    risk: Risk = "medium"
    rule_id: str | None = None
    reason: str = ""
    expires_at: str | None = None
    owner: str | None = Field(
        default=None, description="host:pid of the process waiting for the answer"
    )


class ApprovalResolved(Payload):
    """How an approval ended, who ended it, and the rule an "always" answer added."""

    KIND = "approval.resolved"

    approval_id: str
    outcome: Literal[
        "approved_once", "approved_always", "denied", "denied_always", "timeout", "cancelled"
    ]
    decided_by: str | None = None
    reason: str = ""
    added_rule: str | None = None


class PolicyReloaded(Payload):
    """A new policy file passed every check and is now in force."""

    KIND = "policy.reloaded"

    path: str | None = None
    policy_hash: str
    rules: int


class PolicyRejected(Payload):
    """A policy file failed to load; the previous one stays in force."""

    KIND = "policy.rejected"

    path: str | None = None
    errors: list[str] = Field(min_length=1)
    kept_hash: str | None = None
