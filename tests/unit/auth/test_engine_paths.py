"""Engine semantics on small policies: strictest wins, paths, symlinks, protection, confinement."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agents.auth.compiled import LoadedPolicy
from agents.auth.engine import decide
from agents.auth.loader import load_policy_file, load_policy_text
from agents.auth.requests import Decision, ToolKind, ToolRequest, Verdict

ALLOW, ASK, DENY = Decision.ALLOW, Decision.ASK, Decision.DENY

BASE = """
[roles.implementer]
tools = ["read", "edit", "delete", "move", "search", "execute", "think"]

[[rules]]
id = "ws-read"
decision = "allow"
tools = ["read", "search"]
paths = ["{workspace}/**"]

[[rules]]
id = "ws-write"
decision = "allow"
tools = ["edit", "delete", "move"]
paths = ["{workspace}/**"]

[[rules]]
id = "tools"
decision = "allow"
commands = [["cat"], ["ls"], ["echo"], ["cd"], ["cp"]]
"""


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    (workspace / ".git" / "hooks").mkdir(parents=True)
    (workspace / "src").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "home").mkdir()
    return workspace.resolve()


def _home(ws: Path) -> Path:
    return ws.parent / "home"


def run(policy: LoadedPolicy, ws: Path, command: str, **kw: object) -> Verdict:
    request = ToolRequest(tool=ToolKind.EXECUTE, role="implementer", workspace=ws, command=command)
    return decide(policy, request, home=_home(ws), **kw)  # type: ignore[arg-type]


def tool(policy: LoadedPolicy, ws: Path, kind: ToolKind, *paths: str, **kw: object) -> Verdict:
    request = ToolRequest(tool=kind, role="implementer", workspace=ws, paths=paths)
    return decide(policy, request, home=_home(ws), **kw)  # type: ignore[arg-type]


def test_strictest_rule_wins_and_is_named(ws: Path) -> None:
    policy = load_policy_text(
        BASE + '\n[[rules]]\nid = "no-cat-secret"\ndecision = "deny"\n'
        'commands = [["cat"]]\nwith_args = ["secret*"]\n'
    )
    assert run(policy, ws, "cat notes").decision is ALLOW
    verdict = run(policy, ws, "cat secret.txt")
    assert (verdict.decision, verdict.rule_id) == (DENY, "no-cat-secret")


def test_no_rule_means_ask(ws: Path) -> None:
    verdict = run(load_policy_text(BASE), ws, "python x.py")
    assert (verdict.decision, verdict.rule_id, verdict.source) == (ASK, None, "default")


def test_compound_allows_only_when_every_part_does(ws: Path) -> None:
    policy = load_policy_text(BASE)
    assert run(policy, ws, "ls && cat a.txt").decision is ALLOW
    assert run(policy, ws, "ls && python x.py").decision is ASK
    assert run(policy, ws, "ls; echo $(python x.py)").decision is ASK


def test_a_pure_path_rule_never_allows_a_command(ws: Path) -> None:
    # `echo > /dev/null` must not let any program through because its only path is allowed.
    policy = load_policy_text(
        BASE + '\n[[rules]]\nid = "null"\ndecision = "allow"\npaths = ["/dev/null"]\n'
    )
    assert run(policy, ws, "echo hi > /dev/null").decision is ALLOW
    assert run(policy, ws, "python evil.py > /dev/null").decision is ASK


def test_command_path_rules_need_all_paths_to_allow_and_one_to_deny(ws: Path) -> None:
    policy = load_policy_text(
        BASE
        + """
[[rules]]
id = "rm-build"
decision = "allow"
commands = [["rm"]]
paths = ["{workspace}/build/**"]

[[rules]]
id = "no-rm-src"
decision = "deny"
commands = [["rm"]]
paths = ["{workspace}/src/**"]
"""
    )
    assert run(policy, ws, "rm build/a.o build/b.o").decision is ALLOW
    assert run(policy, ws, "rm build/a.o notes.txt").decision is ASK
    verdict = run(policy, ws, "rm build/a.o src/app.py")
    assert (verdict.decision, verdict.rule_id) == (DENY, "no-rm-src")


def test_writes_outside_the_workspace_are_denied_reads_asked(ws: Path) -> None:
    policy = load_policy_text(BASE)
    outside = ws.parent / "outside"
    assert run(policy, ws, f"cat {outside}/x").decision is ASK
    verdict = run(policy, ws, f"echo x > {outside}/x")
    assert (verdict.decision, verdict.source) == (DENY, "ceiling")
    assert tool(policy, ws, ToolKind.EDIT, f"{outside}/x").decision is DENY
    assert tool(policy, ws, ToolKind.READ, "../outside/x").decision is ASK


def test_a_rule_naming_the_path_grants_it(ws: Path) -> None:
    outside = ws.parent / "outside"
    policy = load_policy_text(
        BASE + f'\n[[rules]]\nid = "scratch"\ndecision = "allow"\npaths = ["{outside}/**"]\n'
    )
    assert run(policy, ws, f"echo x > {outside}/x").decision is ALLOW
    assert tool(policy, ws, ToolKind.EDIT, f"{outside}/y").decision is ALLOW


def test_symlinks_are_resolved_final_component_and_dangling_included(ws: Path) -> None:
    outside = ws.parent / "outside"
    os.symlink(outside, ws / "dir_link")
    os.symlink(outside / "file", ws / "file_link")
    os.symlink(outside / "not-yet", ws / "dangling")
    policy = load_policy_text(BASE)
    for target in ("dir_link/x", "file_link", "dangling"):
        assert tool(policy, ws, ToolKind.EDIT, target).decision is DENY, target
        assert tool(policy, ws, ToolKind.READ, target).decision is ASK, target
        assert run(policy, ws, f"echo x > {target}").decision is DENY, target
        assert run(policy, ws, f"cat {target}").decision is ASK, target


def test_globs_are_expanded_to_see_symlinks(ws: Path) -> None:
    outside = ws.parent / "outside"
    os.symlink(outside / "secret", ws / "src" / "innocent.txt")
    (ws / "src" / "real.txt").write_text("x")
    policy = load_policy_text(BASE)
    assert run(policy, ws, "cat src/real*").decision is ALLOW
    assert run(policy, ws, "cat src/*").decision is ASK


def test_globs_that_expand_to_options_ask(ws: Path) -> None:
    (ws / "-rf").write_text("")
    policy = load_policy_text(BASE)
    assert run(policy, ws, "ls *").decision is ASK
    assert run(policy, ws, "ls src/*").decision is ALLOW


def test_cd_moves_relative_paths(ws: Path) -> None:
    (ws / "src" / "a.txt").write_text("x")
    policy = load_policy_text(BASE)
    assert run(policy, ws, "cd src && cat a.txt").decision is ALLOW
    assert run(policy, ws, "cd .. && cat ws/a.txt").decision is ASK
    assert run(policy, ws, "cd src; cd ..; cd ..; echo x > y").decision is DENY
    assert run(policy, ws, "cd - && cat a.txt").decision is ALLOW


def test_a_cwd_outside_the_workspace_is_itself_a_read_outside(ws: Path) -> None:
    policy = load_policy_text(BASE)
    request = ToolRequest(
        tool=ToolKind.EXECUTE,
        role="implementer",
        workspace=ws,
        command="ls",
        cwd=ws.parent / "outside",
    )
    assert decide(policy, request, home=_home(ws)).decision is ASK


def test_builtin_protected_paths(ws: Path) -> None:
    policy = load_policy_text(BASE)
    assert tool(policy, ws, ToolKind.EDIT, ".git/hooks/pre-commit").decision is DENY
    assert tool(policy, ws, ToolKind.EDIT, ".git/config").decision is DENY
    assert tool(policy, ws, ToolKind.READ, ".git/config").decision is ASK
    verdict = tool(policy, ws, ToolKind.READ, ".git/hooks/pre-push")
    assert (verdict.decision, verdict.source) == (ASK, "analysis")
    assert tool(policy, ws, ToolKind.READ, ".git/HEAD").decision is ALLOW
    home = _home(ws)
    assert tool(policy, ws, ToolKind.READ, f"{home}/.gitconfig").decision is ASK


def test_protected_dirs_from_the_caller_and_the_settings(ws: Path) -> None:
    config = ws / "qd"
    policy = load_policy_text(BASE + '\n[settings]\nprotected_paths = ["{workspace}/keep/**"]\n')
    assert tool(policy, ws, ToolKind.EDIT, "qd/team.toml").decision is ALLOW
    assert tool(policy, ws, ToolKind.EDIT, "qd/team.toml", protected=(config,)).decision is DENY
    assert tool(policy, ws, ToolKind.READ, "qd/team.toml", protected=(config,)).decision is ASK
    assert run(policy, ws, "cp a qd/x", protected=(config,)).decision is DENY
    assert tool(policy, ws, ToolKind.EDIT, "keep/a").decision is DENY


def test_the_policy_file_protects_itself(ws: Path) -> None:
    path = ws / "policy.toml"
    path.write_text(BASE)
    policy = load_policy_file(path)
    assert tool(policy, ws, ToolKind.EDIT, "policy.toml").decision is DENY
    assert run(policy, ws, "echo '' > policy.toml").decision is DENY
    assert tool(policy, ws, ToolKind.READ, "policy.toml").decision is ASK


def test_role_path_ceiling_beats_a_granting_rule(ws: Path) -> None:
    policy = load_policy_text(
        """
[roles.planner]
tools = ["read"]
paths = ["{workspace}/src/**"]

[[rules]]
id = "read-all"
decision = "allow"
tools = ["read"]
paths = ["/**"]
"""
    )
    request = ToolRequest(tool=ToolKind.READ, role="planner", workspace=ws, paths=("src/a.py",))
    assert decide(policy, request).decision is ALLOW
    request = ToolRequest(tool=ToolKind.READ, role="planner", workspace=ws, paths=("README.md",))
    verdict = decide(policy, request)
    assert (verdict.decision, verdict.source) == (DENY, "ceiling")


def test_internal_errors_deny(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import agents.auth.engine as engine

    def boom(*_: object) -> None:
        raise RuntimeError("kaput")

    monkeypatch.setattr(engine, "request_parts", boom)
    verdict = run(load_policy_text(BASE), ws, "ls")
    assert (verdict.decision, verdict.source) == (DENY, "analysis")
    assert "kaput" in verdict.reason
