"""The roster: every role of the team has a module saying what it receives, hands over and may do."""

from __future__ import annotations

import pytest

from agents.auth.requests import ToolKind
from agents.roles.handoffs import HANDOFFS, ReviewVerdict
from agents.roles.reviewer import verdict_from_reply
from agents.roles.roster import ROSTER, agent_id, default_ceiling, prompt_line
from agents.team import ROLES, Backend


def test_every_role_of_the_team_is_in_the_roster_in_workflow_order() -> None:
    assert tuple(ROSTER) == ROLES
    assert all(ROSTER[name].name == name for name in ROLES)


def test_what_a_role_receives_and_hands_over_is_what_the_handoff_table_says() -> None:
    for name, role in ROSTER.items():
        given = {model for (_, to), model in HANDOFFS.items() if to == name}
        handed = {model for (frm, _), model in HANDOFFS.items() if frm == name}
        assert set(role.receives) == given, name
        assert set(role.hands_over) == handed, name


def test_only_the_implementer_may_edit_under_the_bundled_policy() -> None:
    for name in ROLES:
        edits = default_ceiling(name).allows_tools([ToolKind.EDIT])
        assert edits is (name == "implementer"), name


def test_the_validator_is_commands_and_only_the_reviewer_can_be_a_human() -> None:
    assert ROSTER["validator"].played_by == frozenset({Backend.COMMAND})
    humans = {name for name, role in ROSTER.items() if Backend.HUMAN in role.played_by}
    assert humans == {"reviewer"}


@pytest.mark.parametrize(
    ("reply", "approved"),
    [("APPROVE, looks right", True), ("Request changes: the tests are missing", False)],
)
def test_an_agent_reviewers_reply_becomes_its_verdict(reply: str, approved: bool) -> None:
    assert verdict_from_reply(reply) == ReviewVerdict(approved=approved, comments=reply)


def test_agent_ids_and_prompt_lines() -> None:
    assert agent_id("implementer") == "implementer-1"
    assert prompt_line("planner") == ROSTER["planner"].prompt
    assert prompt_line("scribe") == "Act as the scribe."
