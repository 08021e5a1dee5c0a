"""The planner: turns the task and the research into steps, constraints and success criteria.

Receives the researcher's notes (as references in the context); hands over a
:class:`~agents.roles.handoffs.PlanHandoff` to the orchestrator, whose plan every later prompt
carries.
"""

from __future__ import annotations

from agents.roles.handoffs import PlanHandoff, ResearchNotes
from agents.roles.role import Role
from agents.team import Backend


def plan_from_reply(text: str, published: list[str]) -> list[str]:
    """The plan a planner's turn produced: the plan it published, else the lines of its reply."""
    return published or [line for line in text.splitlines() if line.strip()]


PLANNER = Role(
    name="planner",
    duty="publishes a plan of concrete steps for the implementer",
    receives=(ResearchNotes,),
    hands_over=(PlanHandoff,),
    prompt="Plan the task below. Publish a plan of concrete steps; state constraints.",
    played_by=frozenset({Backend.ACP, Backend.DEMO}),
    may="read and search the workspace and run read-only commands; it changes nothing",
)
"""The planner role."""
