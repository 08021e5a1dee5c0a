"""The implementer: makes the change in the workspace, attempt after attempt.

Receives a :class:`~agents.roles.handoffs.TaskHandoff` from the orchestrator (the task, the
context, the attempt number and what failed before: the validator's
:class:`~agents.roles.handoffs.ValidationFailure` or the reviewer's comments); hands over an
:class:`~agents.roles.handoffs.ImplementationReport` to the validator and the reviewer.
"""

from __future__ import annotations

from agents.roles.handoffs import ImplementationReport, TaskHandoff, ValidationFailure
from agents.roles.role import Role
from agents.team import Backend

IMPLEMENTER = Role(
    name="implementer",
    duty="makes the change, and makes it again with the failures until it passes",
    receives=(TaskHandoff, ValidationFailure),
    hands_over=(ImplementationReport,),
    prompt="Implement the task below in the workspace. Keep changes minimal.",
    played_by=frozenset({Backend.ACP, Backend.DEMO}),
    may="edit inside the workspace and run everyday commands and checks; the rest is asked",
)
"""The implementer role."""


def report_of(summary: str, attempt: int) -> ImplementationReport:
    """The implementer's report of one attempt: its closing words (never empty)."""
    return ImplementationReport(summary=summary or "(no summary)", attempt=attempt)
