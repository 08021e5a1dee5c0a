"""The reviewer: approves the change or requests changes, as an agent or as a human.

Receives the implementer's :class:`~agents.roles.handoffs.ImplementationReport`; hands over a
:class:`~agents.roles.handoffs.ReviewVerdict` to the orchestrator. Played by a human, the review
is an approval request in the queue (approve = accept, deny = request changes, with the reason
as comments); played by an agent, its reply is read for "request changes".
"""

from __future__ import annotations

from pathlib import Path

from agents.approvals.broker import ApprovalBroker
from agents.auth.requests import ToolKind, ToolRequest
from agents.roles.handoffs import ImplementationReport, ReviewVerdict
from agents.roles.role import Role
from agents.team import Backend

COMMENTS_LIMIT = 2000
"""Characters of an agent reviewer's reply kept as the verdict's comments (its end)."""

REVIEWER = Role(
    name="reviewer",
    duty="accepts the change or sends it back with what must change",
    receives=(ImplementationReport,),
    hands_over=(ReviewVerdict,),
    prompt=(
        "Review the change made for the task below. Say APPROVE, or REQUEST CHANGES"
        " with what must change."
    ),
    played_by=frozenset({Backend.ACP, Backend.DEMO, Backend.HUMAN}),
    may="read and search the workspace and run read-only commands; it changes nothing",
)
"""The reviewer role."""


def asks_for_changes(text: str) -> bool:
    """Whether a reviewer's reply asks for changes rather than approving."""
    return "request changes" in text.lower()


def verdict_from_reply(text: str) -> ReviewVerdict:
    """An agent reviewer's verdict, read from its reply."""
    return ReviewVerdict(approved=not asks_for_changes(text), comments=text[-COMMENTS_LIMIT:])


async def human_verdict(
    broker: ApprovalBroker, *, session_id: str, workspace: Path, task: str, attempt: int
) -> ReviewVerdict:
    """A human's verdict, asked through the approvals queue like any other decision."""
    request = ToolRequest(tool=ToolKind.OTHER, role="reviewer", workspace=workspace)
    resolution = await broker.request(
        session_id=session_id,
        agent_id="reviewer",
        call_id=f"review-{attempt}",
        request=request,
        summary=f"Review the result of: {task}",
        risk="medium",
        reason="final review",
    )
    return ReviewVerdict(approved=resolution.outcome.approved, comments=resolution.reason)
