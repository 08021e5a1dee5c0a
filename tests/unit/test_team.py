"""Team files: the bundled teams load, invalid files fail naming the file, placeholders expand."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from agents.orchestrator.turns import prompt_for
from agents.team import (
    ROLES,
    Backend,
    Check,
    RoleConfig,
    Team,
    TeamError,
    bundled_team,
    demo_dir,
    expand,
    load_team,
)
from sessions.schema.session import SessionContext


def test_the_default_team_loads() -> None:
    team = load_team(bundled_team("team.toml"))
    assert team.name == "default"
    implementer = team.roles["implementer"]
    assert implementer.backend is Backend.ACP and implementer.command == "claude-agent-acp"
    assert team.roles["validator"].checks[0].timeout_s == 900
    assert team.roles["reviewer"].backend is Backend.HUMAN
    assert team.steps() == ["implementer", "validator", "reviewer"]
    assert team.workflow.max_attempts == 3


def test_the_demo_team_loads_and_its_playbooks_exist() -> None:
    team = load_team(bundled_team("demo-team.toml"))
    assert team.name == "demo"
    assert team.steps() == ["planner", "implementer", "validator", "reviewer"]
    for role in ("planner", "implementer", "reviewer"):
        config = team.roles[role]
        assert config.backend is Backend.DEMO and config.playbook is not None
        assert Path(expand(config.playbook)).is_file()
    check = team.roles["validator"].checks[0]
    assert expand(check.command[0]) == sys.executable


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "team.toml"
    path.write_text(text, encoding="utf-8")
    return path


IMPLEMENTER = '[roles.implementer]\nbackend = "acp"\ncommand = "agent"\n'


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (IMPLEMENTER + "colour = 'red'\n", "roles.implementer.colour: Extra inputs"),
        ("name = 'x'\nteam_lead = 'me'\n" + IMPLEMENTER, "team_lead: Extra inputs"),
        ('[roles.implementer]\nbackend = "acp"\n', "an acp role needs 'command'"),
        ('[roles.implementer]\nbackend = "demo"\n', "a demo role needs 'playbook'"),
        (
            IMPLEMENTER + '[roles.validator]\nbackend = "command"\n',
            "a command role needs 'checks'",
        ),
        ('[roles.planner]\nbackend = "human"\n', "a team needs an implementer"),
        ('[roles.implementer]\nbackend = "robot"\n', "roles.implementer.backend"),
        (IMPLEMENTER + "[workflow]\nmax_attempts = 0\n", "workflow.max_attempts"),
        ('[roles.implementer]\nbackend = "human"\n', "the implementer is played by acp or demo"),
        (
            IMPLEMENTER + '[roles.validator]\nbackend = "acp"\ncommand = "agent"\n',
            "roles.validator: the validator is played by command, not acp",
        ),
        (IMPLEMENTER + "[workflow]\norder = ['manager']\n", "workflow.order.0"),
        (
            IMPLEMENTER + '[roles.validator]\nbackend = "command"\n'
            'checks = [{ name = "t", command = [] }]\n',
            "roles.validator.checks.0.command",
        ),
        ("[roles.implementer\nbackend = 'human'\n", "Expected"),
    ],
)
def test_invalid_team_files_name_the_file_and_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(TeamError) as caught:
        load_team(path)
    message = str(caught.value)
    assert str(path) in message and problem in message


def test_a_missing_team_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(TeamError, match=r"cannot read team file .*absent\.toml"):
        load_team(path)


def test_steps_follow_the_workflow_order_and_skip_missing_roles(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        IMPLEMENTER + '[roles.reviewer]\nbackend = "human"\n'
        '[roles.researcher]\nbackend = "acp"\ncommand = "agent"\n'
        "[workflow]\norder = ['reviewer', 'implementer', 'planner', 'researcher']\n",
    )
    assert load_team(path).steps() == ["reviewer", "implementer", "researcher"]


def test_the_default_workflow_is_every_role_in_order() -> None:
    team = Team.model_validate({"roles": {"implementer": {"backend": "acp", "command": "a"}}})
    assert team.workflow.order == list(ROLES)
    assert team.steps() == ["implementer"]
    assert team.name == "team" and team.workflow.turn_timeout_s == 1800


def test_expand_replaces_both_placeholders() -> None:
    assert expand("{python}") == sys.executable
    assert expand("{demo}/playbooks/x.toml") == f"{demo_dir()}/playbooks/x.toml"
    assert expand("{python} -m {python}") == f"{sys.executable} -m {sys.executable}"
    assert expand("plain {other}") == "plain {other}"
    assert demo_dir().is_dir()


def test_a_roles_env_is_expanded_for_every_process_it_starts() -> None:
    check = Check(name="t", command=["{python}", "-V"])
    role = RoleConfig(backend=Backend.COMMAND, checks=[check], env={"PY": "{python}"})
    assert role.expanded_env() == {"PY": sys.executable}


def test_a_role_can_take_its_task_verbatim(tmp_path: Path) -> None:
    team = load_team(write(tmp_path, IMPLEMENTER + 'prompt = "verbatim"\n'))
    assert team.roles["implementer"].prompt == "verbatim"
    task = '***CALL_TOOL write_text_file {"path": "/ws/a", "content": "x"}'
    context = SessionContext(task=task, constraints=["be brief"])
    assert prompt_for("implementer", context, attempt=2, failures=["x"], verbatim=True) == task
    wrapped = prompt_for("implementer", context, attempt=1, failures=[])
    assert not wrapped.startswith("***") and f"Task: {task}" in wrapped
    with pytest.raises(TeamError, match="prompt"):
        load_team(write(tmp_path, IMPLEMENTER + 'prompt = "raw"\n'))
