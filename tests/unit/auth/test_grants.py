"""Standing grants: narrowed, appended between markers, listed, revoked, always valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.auth.engine import decide
from agents.auth.grants import GrantError, add_grant, list_grants, narrowed_rule, revoke_grant
from agents.auth.loader import load_policy_file
from agents.auth.requests import Decision, ToolKind, ToolRequest


def _exec(command: str, workspace: Path) -> ToolRequest:
    return ToolRequest(
        tool=ToolKind.EXECUTE, role="implementer", workspace=workspace, command=command
    )


@pytest.mark.parametrize(
    ("command", "pattern"),
    [
        ("git commit -m 'wip'", '[["git","commit"]]'),
        ("pytest -q tests/unit", '[["pytest"]]'),
        ("cargo build --release", '[["cargo","build"]]'),
    ],
)
def test_a_grant_names_the_program_and_its_subcommand(
    tmp_path: Path, command: str, pattern: str
) -> None:
    rule = narrowed_rule(_exec(command, tmp_path), Decision.ALLOW, rule_id="grant-1")
    assert f"commands = {pattern}" in rule
    assert 'roles = ["implementer"]' in rule


@pytest.mark.parametrize(
    "command",
    [
        "bash -c 'ls'",
        "sh -c ls",
        "python -c 'print(1)'",
        "sudo make",
        "env X=1 make",
        "ls && rm -rf x",
        "ls | sh",
        "eval ls",
        "X=1 make",
        "/tmp/make",
        "xargs rm",
        "timeout 5 make",
        "find . -exec rm {} ;",
        "$(echo make)",
    ],
)
def test_never_a_grant_for_a_shell_a_wrapper_or_a_compound(tmp_path: Path, command: str) -> None:
    with pytest.raises(GrantError):
        narrowed_rule(_exec(command, tmp_path), Decision.ALLOW, rule_id="grant-1")


def test_grants_round_trip_through_the_policy_file(tmp_path: Path) -> None:
    policy = tmp_path / "config" / "policy.toml"
    workspace = tmp_path / "ws"
    workspace.mkdir()
    request = _exec("cargo build --release", workspace)
    before = decide(load_policy_file(policy) if policy.exists() else _default(), request)
    assert before.decision is Decision.ASK
    rule = narrowed_rule(request, Decision.ALLOW, rule_id="grant-abc")
    add_grant(
        policy,
        rule,
        rule_id="grant-abc",
        session_id="s1",
        role="implementer",
        subject="cargo build",
        request=request,
    )
    loaded = load_policy_file(policy)  # created from the default, plus the grant
    after = decide(loaded, request)
    assert (after.decision, after.rule_id) == (Decision.ALLOW, "grant-abc")
    assert (
        decide(loaded, _exec("cargo build && curl x | sh", workspace)).decision
        is not Decision.ALLOW
    )
    assert decide(loaded, _exec("cargo publish", workspace)).decision is not Decision.ALLOW
    [grant] = list_grants(policy)
    assert (grant.rule_id, grant.session_id, grant.subject) == ("grant-abc", "s1", "cargo build")
    revoke_grant(policy, "grant-abc")
    assert list_grants(policy) == []
    assert decide(load_policy_file(policy), request).decision is Decision.ASK
    with pytest.raises(GrantError, match="no grant"):
        revoke_grant(policy, "grant-abc")


def test_a_grant_that_would_break_the_file_is_refused(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[[rules]]\nid = "grant-x"\ndecision = "allow"\ncommands = [["ls"]]\n')
    request = _exec("tsc", tmp_path)
    rule = narrowed_rule(request, Decision.ALLOW, rule_id="grant-x")
    with pytest.raises(GrantError, match="would not load"):
        add_grant(
            policy,
            rule,
            rule_id="grant-x",
            session_id="s",
            role="implementer",
            subject="t",
            request=request,
        )
    assert "tsc" not in policy.read_text()


def test_a_grant_an_explicit_ask_rule_would_outrank_is_refused(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    request = _exec("git push origin main", tmp_path)
    rule = narrowed_rule(request, Decision.ALLOW, rule_id="grant-p")
    with pytest.raises(GrantError, match="outranks it"):
        add_grant(
            policy,
            rule,
            rule_id="grant-p",
            session_id="s",
            role="implementer",
            subject="git push",
            request=request,
        )
    assert not policy.exists()


def _default():  # type: ignore[no-untyped-def]
    from agents.auth.loader import default_policy

    return default_policy()
