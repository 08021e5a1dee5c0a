"""The roster: every role of the team, by name, and the ids of the agents that play them.

The orchestrator composes these roles into a session's workflow; ``quarterdeck`` docs and the
team-file check read them from here, so a role's contract is written once, in its own module.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from agents.auth.ceiling import Ceiling
from agents.roles.implementer import IMPLEMENTER
from agents.roles.planner import PLANNER
from agents.roles.researcher import RESEARCHER
from agents.roles.reviewer import REVIEWER
from agents.roles.role import Role
from agents.roles.validator import VALIDATOR
from agents.team import RoleName

ROSTER: Mapping[RoleName, Role] = {
    role.name: role for role in (RESEARCHER, PLANNER, IMPLEMENTER, VALIDATOR, REVIEWER)
}
"""Every role of the seed's team, in the default workflow's order."""


def agent_id(role: str, instance: int = 1) -> str:
    """The id of the agent playing ``role`` in a session (one agent per role today: ``-1``)."""
    return f"{role}-{instance}"


def prompt_line(role: str) -> str:
    """The first line of a prompt for ``role``; a role outside the roster is asked to act as it."""
    known = ROSTER.get(role)  # type: ignore[call-overload]
    return known.prompt if known is not None else f"Act as the {role}."


@cache
def default_ceiling(role: RoleName) -> Ceiling:
    """The most ``role`` may do under the bundled policy (its ``[roles.<name>]`` profile)."""
    from agents.auth.loader import default_policy  # the policy loads only when asked

    return default_policy().ceilings[role]
