"""The researcher: reads the code and the documentation first, and hands its notes to the planner.

Receives the task alone; hands over :class:`~agents.roles.handoffs.ResearchNotes`, whose text
joins the session's references so every later prompt carries it.
"""

from __future__ import annotations

from agents.roles.handoffs import ResearchNotes
from agents.roles.role import Role
from agents.team import Backend

RESEARCHER = Role(
    name="researcher",
    duty="finds out what the task needs to know before anyone plans it",
    receives=(),
    hands_over=(ResearchNotes,),
    prompt="Research the task below. Reply with what matters: notes and references.",
    played_by=frozenset({Backend.ACP, Backend.DEMO}),
    may="read and search the workspace, run read-only commands, fetch (always asked)",
)
"""The researcher role."""
