"""The new-session form's core: the team files offered, the checks of a filled-in form, and
directory completion."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.supervisor.launch import NewSessionRefused, check, default_team, team_files
from agents.team import bundled_team
from screens.path_completion import complete_directory

DEMO = bundled_team("demo-team.toml")


def test_team_files_are_the_projects_the_config_dirs_and_the_bundled(tmp_path: Path) -> None:
    workspace, config = tmp_path / "project", tmp_path / "config"
    (workspace / ".quarterdeck").mkdir(parents=True)
    config.mkdir()
    for path in (workspace / ".quarterdeck" / "team.toml", config / "team.toml"):
        path.write_text("")
    (config / "fast-team.toml").write_text("")
    (config / "policy.toml").write_text("")  # not a team file
    files = team_files(workspace, config_dir=config)
    assert [(f.origin, f.path) for f in files] == [
        ("project", workspace / ".quarterdeck" / "team.toml"),
        ("config", config / "team.toml"),
        ("config", config / "fast-team.toml"),
        ("bundled", bundled_team("team.toml")),
        ("bundled", DEMO),
    ]
    assert default_team(files).origin == "project"
    assert default_team(files[1:]) == files[1]  # then the config dir's team.toml
    assert default_team(files[2:]).path == bundled_team("team.toml")  # not fast-team.toml
    assert files[-1].label == "bundled · demo-team.toml"


def test_without_a_config_dir_or_a_project_only_the_bundled_teams(tmp_path: Path) -> None:
    files = team_files(tmp_path / "nowhere", config_dir=None)
    assert [f.origin for f in files] == ["bundled", "bundled"]


def test_a_good_form_passes_with_its_team(tmp_path: Path) -> None:
    checked = check("  fix the test\n", tmp_path, DEMO)
    assert checked.task == "fix the test"
    assert (checked.workspace, checked.team.name) == (tmp_path, "demo")


def test_every_problem_is_named_once_per_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad-team.toml"
    bad.write_text("name = [\n")
    with pytest.raises(NewSessionRefused) as caught:
        check(" \n", tmp_path / "missing", bad, policy="no valid policy is in force")
    problems = caught.value.problems
    assert problems.task == "say what the team should do"
    assert problems.workspace == f"no such directory: {tmp_path / 'missing'}"
    assert problems.team.startswith(f"{bad}: ") and "\n" not in problems.team
    assert problems.policy == "no valid policy is in force"
    with pytest.raises(NewSessionRefused) as caught:
        check("task", bad, None)
    assert caught.value.problems.workspace == f"not a directory: {bad}"
    assert caught.value.problems.team == "choose a team file"
    assert not caught.value.problems.task


def test_completion_extends_what_was_typed_to_a_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("beta", "alpha", "alpine", ".hidden"):
        (tmp_path / name).mkdir()
    (tmp_path / "alps.txt").write_text("")  # a file: never suggested
    base = f"{tmp_path}/"
    assert complete_directory(f"{base}al") == f"{base}alpha/"
    assert complete_directory(f"{base}alpi") == f"{base}alpine/"
    assert complete_directory(f"{base}alps") is None
    assert complete_directory(base) == f"{base}alpha/"  # hidden ones only when asked for
    assert complete_directory(f"{base}.h") == f"{base}.hidden/"
    assert complete_directory(f"{base}beta") == f"{base}beta/"
    assert complete_directory(f"{base}missing/x") is None
    assert complete_directory("") is None
    monkeypatch.setenv("HOME", str(tmp_path))
    assert complete_directory("~/be") == "~/beta/"  # ~ kept as typed
    monkeypatch.chdir(tmp_path)
    assert complete_directory("alph") == "alpha/"
