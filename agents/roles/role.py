"""What a role of the team is: what it receives, what it must hand over, its prompt, its ceiling.

Each role of the seed's team has a module beside this one that builds its :class:`Role`; the
:mod:`~agents.roles.roster` collects them. The orchestrator composes roles into a workflow; a
team file says which *backend* plays each one (an ACP agent, the demo agent, a human, commands).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from agents.team import Backend, RoleName


@dataclass(frozen=True, slots=True, kw_only=True)
class Role:
    """One role of the team, as the orchestrator and the docs see it."""

    name: RoleName
    duty: str
    """One line: what the role is for."""
    receives: tuple[type[BaseModel], ...]
    """The handoff models it is given (empty: it starts from the task alone)."""
    hands_over: tuple[type[BaseModel], ...]
    """The handoff models it must produce; the orchestrator validates each before recording."""
    prompt: str
    """The first line of every prompt an agent playing the role receives."""
    played_by: frozenset[Backend]
    """The backends that can play it; a team file naming another one is refused."""
    may: str
    """What it may do, in words; the bundled policy's ``[roles.<name>]`` profile enforces it."""
