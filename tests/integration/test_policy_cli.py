"""``quarterdeck policy check|show|decide|diff`` end to end, through ``app.cli.main``.

Policies are small hand-written files; sessions are written with the real store. A few cases
run the installed console script with stdin, as a user or a CI job would.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from agents.auth.loader import default_policy
from app.cli import main
from sessions.schema import AgentStarted, PolicyDecided, SessionCreated, ToolCallRequested
from sessions.schema.policy import DecisionValue
from tests.conftest import StoreFactory, run_cli

TINY = """
[roles.implementer]
tools = ["read", "edit", "execute", "search", "think"]

[roles.planner]
tools = ["read", "search", "execute"]
commands = [["ls"]]

[[rules]]
id = "listing"
decision = "allow"
reason = "listing files"
commands = [["ls"]]
match = ["ls -la"]

[[rules]]
id = "egress"
decision = "ask"
commands = [["curl"]]

[[rules]]
id = "removal"
decision = "ask"
commands = [["rm"]]
"""
STRICT_FROM, STRICT_TO = 'id = "removal"\ndecision = "ask"', 'id = "removal"\ndecision = "deny"'
LOOSER = TINY.replace('id = "egress"\ndecision = "ask"', 'id = "egress"\ndecision = "allow"')
STRICTER = TINY.replace(STRICT_FROM, STRICT_TO)
BROKEN = """version = 1

[[rules]]
id = "git-read"
decision = "allow"
comands = [["git", "status"]]

[[rules]]
id = "b"
decision = "maybe"
tools = ["read"]
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    return ws


@pytest.fixture
def user_policy(tmp_path: Path) -> Path:
    """Where the effective policy lives (the autouse fixture points the config dir here)."""
    return tmp_path / "config" / "policy.toml"


def cli(db: Path, *args: str) -> int:
    return main(["--db", str(db), "policy", *args])


# ---- check ----------------------------------------------------------------------------------


def test_check_a_valid_file_prints_counts_and_hash(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    default = default_policy()
    assert default.source is not None
    assert cli(db_path, "check", str(default.source)) == 0
    out = capsys.readouterr().out
    assert out == f"ok: {len(default.rules)} rules, 5 roles, sha256 {default.sha256}\n"


def test_check_an_invalid_file_names_each_line_and_rule(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(tmp_path / "bad.toml", BROKEN)
    assert cli(db_path, "check", str(bad)) == 3
    lines = capsys.readouterr().out.splitlines()
    assert f"{bad}:6: rule 'git-read': unknown key 'comands'" in lines
    assert f"{bad}:10: rule 'b': decision: Input should be 'allow', 'ask' or 'deny'" in lines


def test_check_a_missing_file_is_invalid_too(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(db_path, "check", str(tmp_path / "nope.toml")) == 3
    assert "nope.toml: cannot read the policy" in capsys.readouterr().out


def test_check_json_lists_the_issues(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(tmp_path / "bad.toml", BROKEN)
    assert cli(db_path, "check", "--json", str(bad)) == 3
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert report["issues"][0] == {
        "line": 6,
        "rule": "git-read",
        "message": "unknown key 'comands'",
    }


# ---- show -----------------------------------------------------------------------------------


def test_show_without_a_user_file_is_the_builtin_default(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(db_path, "show") == 0
    out = capsys.readouterr().out
    assert out.startswith("policy    built-in default")
    assert f"sha256    {default_policy().sha256}" in out
    assert "  allow  read-only-commands" in out
    assert "  planner      tools: execute, read, search, think | paths: {workspace}/**" in out
    assert cli(db_path, "show", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["builtin"], data["valid"]) == (True, True)
    assert len(data["rules"]) == len(default_policy().rules)
    assert data["rules"][0]["id"] == "think"
    assert set(data["roles"]) == {"implementer", "planner", "researcher", "reviewer", "validator"}


def test_show_the_users_file_with_one_line_per_rule(
    db_path: Path, user_policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(user_policy, TINY)
    assert cli(db_path, "show") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"policy    {user_policy}"
    assert "  allow  listing  commands: ls" in lines
    assert "  planner      tools: execute, read, search | paths: any | commands: ls" in lines
    assert cli(db_path, "show", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["builtin"], data["path"]) == (False, str(user_policy))
    assert data["rules"][0] == {
        "id": "listing",
        "decision": "allow",
        "reason": "listing files",
        "commands": [["ls"]],
        "examples": 1,
        "summary": "commands: ls",
    }


def test_show_an_invalid_user_file_says_everything_is_denied(
    db_path: Path, user_policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(user_policy, BROKEN)
    assert cli(db_path, "show") == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{user_policy}:6: rule 'git-read': unknown key 'comands'" in captured.err
    assert "every tool call is denied until it is fixed" in captured.err


# ---- decide ---------------------------------------------------------------------------------


def test_decide_answers_every_line_in_order_and_survives_bad_json(
    tmp_path: Path,
    db_path: Path,
    workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    policy = write(tmp_path / "tiny.toml", TINY)
    stdin = "\n".join(
        [
            "ls -la",
            "",
            "   ",
            "curl https://example.com && ls",
            '{"tool": "read", "path": "notes.txt"}',
            "{not json",
            '{"comand": "ls"}',
            '{"tool": "execute", "command": "rm -rf build"}',
        ]
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin + "\n"))
    args = ["decide", "--policy", str(policy), "--role", "implementer"]
    assert cli(db_path, *args, "--workspace", str(workspace), "--json") == 0
    answers = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(a["decision"], a["rule"], a["line"]) for a in answers] == [
        ("allow", "listing", 1),
        ("ask", "egress", 4),
        ("ask", None, 5),  # no rule covers a read in this tiny policy
        ("deny", None, 6),
        ("deny", None, 7),
        ("ask", "removal", 8),
    ]
    assert list(answers[0])[:4] == ["decision", "rule", "reason", "policy_hash"]
    assert "not valid JSON" in answers[3]["reason"]
    assert answers[4]["error"] == "unknown key 'comand'"
    assert {a["policy_hash"] for a in answers} == {answers[0]["policy_hash"]}


def test_decide_prints_one_human_line_per_request_under_the_effective_policy(
    db_path: Path,
    workspace: Path,
    user_policy: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(user_policy, TINY)
    monkeypatch.setattr("sys.stdin", io.StringIO("ls\nrm x\n"))
    assert cli(db_path, "decide", "--role", "planner", "--workspace", str(workspace)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("ALLOW  listing  ls: listing files")
    assert lines[0].endswith("  ←  ls")
    assert lines[1].startswith("DENY   -  ")
    assert "role 'planner' may not run 'rm'" in lines[1]


def test_decide_protects_quarterdecks_own_directories(
    tmp_path: Path,
    db_path: Path,
    workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "config" / "team.toml"
    line = json.dumps({"tool": "edit", "path": str(target)})
    monkeypatch.setattr("sys.stdin", io.StringIO(line + "\n"))
    args = ["decide", "--role", "implementer", "--workspace", str(workspace), "--json"]
    assert cli(db_path, *args) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["decision"] == "deny"
    assert "protected" in answer["reason"]


def test_decide_with_an_invalid_policy_exits_3(
    tmp_path: Path,
    db_path: Path,
    workspace: Path,
    user_policy: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("ls\n"))
    bad = write(tmp_path / "bad.toml", BROKEN)
    args = ["decide", "--role", "implementer", "--workspace", str(workspace)]
    assert cli(db_path, *args, "--policy", str(bad)) == 3
    assert f"{bad}:6: rule 'git-read'" in capsys.readouterr().err
    write(user_policy, BROKEN)
    assert cli(db_path, *args) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "denied until it is fixed" in captured.err


def test_decide_needs_an_existing_workspace(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli(db_path, "decide", "--role", "implementer", "--workspace", str(tmp_path / "gone"))
    assert exited.value.code == 2
    assert "no such directory" in capsys.readouterr().err


# ---- diff -----------------------------------------------------------------------------------

Call = tuple[str, str, DecisionValue | None]  # agent, command, recorded decision (or none)


def record_session(
    make_store: StoreFactory,
    session: str,
    workspace: Path | None,
    agents: dict[str, str],
    calls: list[Call],
) -> None:
    """A session with its agents, and each call followed by its recorded decision."""
    store = make_store()
    where = str(workspace) if workspace is not None else None
    store.append_sync(session, "orchestrator", SessionCreated(title=session, workspace=where))
    for agent, role in agents.items():
        started = AgentStarted(agent_id=agent, role=role, backend="demo")
        store.append_sync(session, "orchestrator", started)
    for number, (agent, command, decided) in enumerate(calls, start=1):
        call = f"{session}-c{number}"
        requested = ToolCallRequested(agent_id=agent, call_id=call, tool="execute", command=command)
        store.append_sync(session, agent, requested)
        if decided is not None:
            verdict = PolicyDecided(
                call_id=call, decision=decided, policy_hash="a" * 64, source="rule"
            )
            store.append_sync(session, "auth", verdict)
    store.close()


CALLS: list[Call] = [
    ("impl-1", "ls -la", "allow"),
    ("impl-1", "curl https://example.com", "ask"),
    ("impl-1", "rm -rf build", "ask"),
]


def test_diff_lists_the_changes_and_fails_when_something_is_looser(
    tmp_path: Path,
    db_path: Path,
    workspace: Path,
    make_store: StoreFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    record_session(make_store, "sess-one", workspace, {"impl-1": "implementer"}, CALLS)
    both = write(tmp_path / "both.toml", LOOSER.replace(STRICT_FROM, STRICT_TO))
    assert cli(db_path, "diff", str(both)) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "3 calls re-decided, 2 would change (1 more permissive, 1 stricter)"
    looser, stricter = lines[:2]
    assert looser.startswith("LOOSER    sess-one  seq 5 ")
    assert "impl-1/implementer  ask → allow  (rule egress)  ←  curl https://example.com" in looser
    assert stricter.startswith("STRICTER  sess-one  seq 7 ")
    assert "ask → deny  (rule removal)  ←  rm -rf build" in stricter


def test_diff_passes_when_a_policy_is_only_stricter(
    tmp_path: Path,
    db_path: Path,
    workspace: Path,
    make_store: StoreFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    record_session(make_store, "sess-one", workspace, {"impl-1": "implementer"}, CALLS)
    assert cli(db_path, "diff", str(write(tmp_path / "s.toml", STRICTER))) == 0
    out = capsys.readouterr().out
    assert out.endswith("3 calls re-decided, 1 would change (0 more permissive, 1 stricter)\n")


def test_diff_json_and_session_filter(
    tmp_path: Path,
    db_path: Path,
    workspace: Path,
    make_store: StoreFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    record_session(make_store, "sess-one", workspace, {"impl-1": "implementer"}, CALLS)
    record_session(make_store, "sess-two", workspace, {"impl-1": "implementer"}, CALLS[1:2])
    looser = write(tmp_path / "l.toml", LOOSER)
    assert cli(db_path, "diff", str(looser), "--session", "sess-t", "--json") == 1
    change, summary = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert change["type"] == "change"
    assert (change["session"], change["call_id"], change["role"]) == (
        "sess-two",
        "sess-two-c1",
        "implementer",
    )
    assert (change["old_decision"], change["new_decision"], change["new_rule"]) == (
        "ask",
        "allow",
        "egress",
    )
    assert (change["direction"], change["old_recorded"]) == ("more_permissive", True)
    assert summary["type"] == "summary"
    assert (summary["redecided"], summary["changed"], summary["more_permissive"]) == (1, 1, 1)


def test_diff_says_when_it_guessed_the_decision_role_or_workspace(
    tmp_path: Path,
    db_path: Path,
    user_policy: Path,
    make_store: StoreFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(user_policy, TINY)
    monkeypatch.chdir(tmp_path)
    calls: list[Call] = [("impl-1", "rm x", None), ("ghost", "ls", "allow")]
    record_session(make_store, "sess-one", None, {"impl-1": "implementer"}, calls)
    assert cli(db_path, "diff", str(write(tmp_path / "s.toml", STRICTER))) == 0
    captured = capsys.readouterr()
    assert f"session sess-one records no workspace; its calls are judged as if in {tmp_path}" in (
        captured.err
    )
    lines = captured.out.splitlines()
    assert "ghost/unknown  allow → deny  (no rule)  ←  ls" in lines[0]
    assert "impl-1/implementer  ask* → deny  (rule removal)  ←  rm x" in lines[1]
    assert lines[2].startswith("* 1 call had no recorded decision")
    assert str(user_policy) in lines[2]
    assert "role 'unknown'" in lines[3]
    assert lines[4] == "2 calls re-decided, 2 would change (0 more permissive, 2 stricter)"


def test_diff_compares_undecided_calls_with_deny_while_the_current_policy_is_broken(
    tmp_path: Path,
    db_path: Path,
    user_policy: Path,
    make_store: StoreFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(user_policy, BROKEN)
    calls: list[Call] = [("impl-1", "curl https://example.com", None)]
    record_session(make_store, "sess-one", tmp_path, {"impl-1": "implementer"}, calls)
    assert cli(db_path, "diff", str(write(tmp_path / "l.toml", LOOSER))) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "deny* → allow  (rule egress)" in lines[0]
    assert f"the policy file {user_policy} is invalid, which denies every call" in lines[1]


def test_diff_with_an_invalid_new_policy_exits_3(
    tmp_path: Path, db_path: Path, make_store: StoreFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    record_session(make_store, "sess-one", tmp_path, {"impl-1": "implementer"}, CALLS)
    bad = write(tmp_path / "bad.toml", BROKEN)
    assert cli(db_path, "diff", str(bad)) == 3
    captured = capsys.readouterr()
    assert f"{bad}:10: rule 'b'" in captured.err
    assert captured.out == ""


# ---- the installed command ------------------------------------------------------------------


def test_the_console_script_decides_stdin_as_json_lines(tmp_path: Path, workspace: Path) -> None:
    policy = write(tmp_path / "tiny.toml", TINY)
    args = ["--policy", str(policy), "--role", "implementer", "--workspace", str(workspace)]
    stdin = "ls\n{oops\ncurl x\n"
    done = run_cli(tmp_path / "q.db", "policy", "decide", *args, "--json", stdin=stdin)
    assert done.returncode == 0, done.stderr
    decisions = [json.loads(line)["decision"] for line in done.stdout.splitlines()]
    assert decisions == ["allow", "deny", "ask"]


def test_the_console_script_exits_3_on_an_invalid_policy(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.toml", BROKEN)
    done = run_cli(tmp_path / "q.db", "policy", "check", str(bad))
    assert done.returncode == 3
    assert f"{bad}:6: rule 'git-read': unknown key 'comands'" in done.stdout
    assert "Traceback" not in done.stderr
