"""Loading policies: every error names its line and rule; a good file loads with its hash."""

from __future__ import annotations

import hashlib
from pathlib import Path
from textwrap import dedent

import pytest

from agents.auth.issues import PolicyError, PolicyIssue
from agents.auth.loader import default_policy, load_policy_file, load_policy_text

ROLES = """\
[roles.implementer]
tools = ["read", "edit", "execute"]
"""


def _errors(text: str) -> list[PolicyIssue]:
    with pytest.raises(PolicyError) as caught:
        load_policy_text(dedent(text))
    return caught.value.issues


def test_unknown_key_names_line_and_rule() -> None:
    issues = _errors(
        ROLES
        + """
[[rules]]
id = "git-read"
decision = "allow"
comands = [["git", "status"]]
"""
    )
    assert issues == [PolicyIssue(7, "git-read", "unknown key 'comands'")]


def test_str_gives_one_line_per_issue() -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy_text(
            ROLES + '\n[[rules]]\nid = "git-read"\ndecision = "allow"\ncomands = [["git"]]\n',
            source=Path("policy.toml"),
        )
    assert str(caught.value) == "policy.toml:7: rule 'git-read': unknown key 'comands'"


def test_bad_decision() -> None:
    issues = _errors(
        ROLES
        + """
[[rules]]
id = "a"
decision = "allow"
tools = ["read"]

[[rules]]
id = "b"
decision = "maybe"
tools = ["read"]
"""
    )
    assert len(issues) == 1
    assert issues[0].line == 11
    assert issues[0].rule == "b"
    assert "decision" in issues[0].message


def test_unknown_tool_kind() -> None:
    issues = _errors(ROLES + '\n[[rules]]\nid = "x"\ndecision = "ask"\ntools = ["shell"]\n')
    assert issues[0].rule == "x"
    assert issues[0].line == 7
    assert "tools" in issues[0].message


def test_duplicate_id_points_at_the_second_and_names_the_first() -> None:
    issues = _errors(
        ROLES
        + """
[[rules]]
id = "same"
decision = "allow"
tools = ["read"]

[[rules]]
id = "same"
decision = "deny"
tools = ["edit"]
"""
    )
    assert len(issues) == 1
    assert (issues[0].line, issues[0].rule) == (9, "same")
    assert "line 4" in issues[0].message


def test_failing_match_example() -> None:
    issues = _errors(
        ROLES
        + """
[[rules]]
id = "git-read"
decision = "allow"
commands = [["git", ["status", "diff"]]]
match = ["git status", "git log"]
"""
    )
    assert len(issues) == 1
    assert (issues[0].line, issues[0].rule) == (4, "git-read")
    assert "'git log'" in issues[0].message
    assert "match example" in issues[0].message


def test_failing_not_match_example() -> None:
    issues = _errors(
        ROLES
        + """
[[rules]]
id = "ok"
decision = "allow"
tools = ["read"]
match = [{ tool = "read", path = "a.txt" }]

[[rules]]
id = "no-push"
decision = "deny"
commands = [["git", "push"]]
not_match = ["git push --force", "git pull"]
"""
    )
    assert len(issues) == 1
    assert (issues[0].line, issues[0].rule) == (10, "no-push")
    assert "not_match example 'git push --force'" in issues[0].message


def test_example_in_a_compound_matches_through_any_part() -> None:
    load_policy_text(
        ROLES
        + """
[[rules]]
id = "no-rm"
decision = "deny"
commands = [["rm"]]
match = ["ls && rm -rf /", "echo $(rm x)", "sudo rm x"]
not_match = ["ls", "echo rm"]
"""
    )


def test_toml_syntax_error_carries_tomllib_line() -> None:
    issues = _errors('version = 1\n\n[[rules]]\nid = "x"\ndecision = allow\n')
    assert len(issues) == 1
    assert issues[0].line == 5
    assert issues[0].message.startswith("TOML syntax")


def test_several_problems_are_all_reported() -> None:
    issues = _errors(
        ROLES
        + """
[[rules]]
id = "a"
decision = "allow"
comands = []

[[rules]]
id = "b"
decision = "nope"
tools = ["read"]
"""
    )
    assert [(i.line, i.rule) for i in issues] == [(7, "a"), (11, "b")]


def test_unknown_set_role_and_bad_glob_are_reported() -> None:
    issues = _errors(
        ROLES
        + """
[[rules]]
id = "x"
decision = "deny"
commands = ["@nope"]
paths = ["~root/.ssh"]
roles = ["ghost"]
"""
    )
    messages = sorted(i.message for i in issues)
    assert all(i.rule == "x" for i in issues)
    assert len(messages) == 3
    assert any("unknown command set '@nope'" in m for m in messages)
    assert any("ghost" in m for m in messages)
    assert any("~root" in m for m in messages)


def test_unknown_key_in_role_and_settings() -> None:
    issues = _errors(
        """
[settings]
aproval_timeout_s = 3

[roles.planner]
tools = ["read"]
tols = ["edit"]
"""
    )
    assert [(i.line, i.message) for i in issues] == [
        (3, "unknown key 'aproval_timeout_s'"),
        (7, "role 'planner': unknown key 'tols'"),
    ]


def test_string_pattern_gets_a_hint() -> None:
    issues = _errors(ROLES + '\n[[rules]]\nid = "x"\ndecision = "ask"\ncommands = ["git status"]\n')
    assert '["git", "status"]' in issues[0].message


def test_rule_without_matcher_is_rejected() -> None:
    issues = _errors(ROLES + '\n[[rules]]\nid = "everything"\ndecision = "allow"\n')
    assert issues[0].rule == "everything"
    assert "matcher" in issues[0].message


def test_valid_file_loads_with_hash_of_its_bytes(tmp_path: Path) -> None:
    text = ROLES + '\n[[rules]]\nid = "r"\ndecision = "allow"\ntools = ["read"]  # é\n'
    path = tmp_path / "policy.toml"
    path.write_bytes(text.encode())
    loaded = load_policy_file(path)
    assert loaded.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert loaded.source == path
    assert [r.id for r in loaded.rules] == ["r"]
    assert set(loaded.ceilings) == {"implementer"}


def test_settings_are_modelled(tmp_path: Path) -> None:
    loaded = load_policy_text(
        '[settings]\nprotected_paths = ["~/x/**"]\napproval_timeout_s = 12\n'
        'on_violation = "notify-send denied"\n'
    )
    settings = loaded.policy.settings
    assert (settings.protected_paths, settings.approval_timeout_s) == (["~/x/**"], 12)
    assert settings.on_violation == "notify-send denied"
    assert _errors("[settings]\napproval_timeout_s = -1\n")[0].line == 2


def test_unreadable_and_non_utf8_files_raise_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError):
        load_policy_file(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"version = 1\n\xff\n")
    with pytest.raises(PolicyError) as caught:
        load_policy_file(bad)
    assert "UTF-8" in str(caught.value)


def test_default_policy_loads_and_protects_itself() -> None:
    policy = default_policy()
    assert policy.source is not None
    assert policy.source.name == "policy.toml"
    assert policy.sha256 == hashlib.sha256(policy.source.read_bytes()).hexdigest()
    assert {"implementer", "planner", "researcher", "reviewer", "validator"} <= set(policy.ceilings)
    assert len(policy.rules) >= 30
