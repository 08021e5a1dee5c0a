"""``replay --redrive`` on real recorded sessions: the demo, and a team with a human reviewer.

The sessions are recorded once per module with the real command (real agent processes, real
checks); every test then re-drives them — which runs nothing — or a tampered copy.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from agents.team import demo_dir
from sessions.store.engine import open_engine
from sessions.store.reading import list_sessions, load_session
from sessions.store.record import Record
from tests.conftest import QUARTERDECK, run_cli

DEFAULT_POLICY = Path(str(files("sessions.configs").joinpath("policy.toml")))
NO_MAKE = """
[[rules]]
id = "no-make"
decision = "deny"
reason = "make runs arbitrary recipes"
tools = ["execute"]
commands = [["make"]]
match = [{ tool = "execute", command = "make test" }]
"""
HUMAN_REVIEW_TEAM = """
name = "human-review"
[roles.planner]
backend = "demo"
playbook = "{demo}/playbooks/planner.toml"
speed = 0
[roles.implementer]
backend = "demo"
playbook = "{demo}/playbooks/implementer.toml"
speed = 0
[roles.validator]
backend = "command"
checks = [{ name = "pytest", command = ["{python}", "-m", "pytest", "-q", "-p", "no:cacheprovider"] }]
[roles.reviewer]
backend = "human"
[workflow]
order = ["planner", "implementer", "validator", "reviewer"]
max_attempts = 2
"""


def _record(root: Path, *args: str) -> Path:
    """Run the real command with its own data and config dirs (this is module set-up, before
    the per-test isolation applies); returns the database."""
    db = root / "q.db"
    env = {
        **os.environ,
        "QUARTERDECK_DATA_DIR": str(root / "data"),
        "QUARTERDECK_CONFIG_DIR": str(root / "config"),
    }
    done = subprocess.run(
        [str(QUARTERDECK), "--db", str(db), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]
    return db


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both demo sessions, every "ask" answered allow."""
    root = tmp_path_factory.mktemp("demo")
    return _record(root, "demo", "--headless", "--on-ask", "allow", "--workspace", str(root / "ws"))


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session whose human reviewer (and every other "ask") was answered no: two attempts,
    then failure."""
    root = tmp_path_factory.mktemp("reviewed")
    team = root / "team.toml"
    # The implementer reproduces the failure with pytest (allowed) instead of `make test` (always
    # asked), so the fix reaches the human review even with every ask denied (refused, the
    # implementer would change nothing).
    playbook = (demo_dir() / "playbooks" / "implementer.toml").read_text()
    reproduce = 'command = "make"\nargs = ["test"]\nexpect_exit = 2'
    assert reproduce in playbook
    (root / "implementer.toml").write_text(
        playbook.replace(
            reproduce,
            'command = "python"\nargs = ["-m", "pytest", "-q", "-p", "no:cacheprovider"]\nexpect_exit = 1',
        )
    )
    team.write_text(
        HUMAN_REVIEW_TEAM.replace(
            "{demo}/playbooks/implementer.toml", str(root / "implementer.toml")
        )
    )
    policy = root / "policy.toml"
    policy.write_text(DEFAULT_POLICY.read_text())
    workspace = root / "ws"
    shutil.copytree(demo_dir() / "workspace", workspace)
    task = "Fix the failing moving_average test"
    return _record(
        root,
        "run",
        task,
        "--headless",
        "--team",
        str(team),
        "--workspace",
        str(workspace),
        "--on-ask",
        "deny",
        "--policy",
        str(policy),
    )


def _sessions(db: Path) -> dict[str, list[Record]]:
    engine = open_engine(db, create=False)
    try:
        return {s.session_id: load_session(engine, s.session_id) for s in list_sessions(engine)}
    finally:
        engine.dispose()


def _gate_calls(records: list[Record]) -> list[Record]:
    return [r for r in records if r.kind == "tool.requested" and not r.payload.get("announced")]


def _redrive(db: Path, session_id: str, *args: str) -> tuple[int, dict[str, Any]]:
    done = run_cli(db, "replay", session_id[:8], "--redrive", "--json", *args)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    return done.returncode, json.loads(done.stdout)


def test_recorded_demo_sessions_redrive_without_divergence(demo: Path) -> None:
    sessions = _sessions(demo)
    assert len(sessions) == 2
    # Nothing is read from or written to the workspaces, and no command runs in them.
    workspaces = demo.parent / "ws"
    shutil.rmtree(workspaces)
    for session_id, records in sessions.items():
        code, report = _redrive(demo, session_id)
        assert (code, report["divergences"], report["runs"]) == (0, [], 1)
        # Every recorded gate call was made again, and every handoff.
        assert report["tool_calls"] == len(_gate_calls(records)) > 5
        assert report["handoffs"] == sum(r.kind == "handoff" for r in records)
    text = run_cli(demo, "replay", next(iter(sessions))[:8], "--redrive")
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("no divergence: ") and "tool calls" in text.stdout
    assert not workspaces.exists()


def test_a_policy_that_denies_make_diverges_at_exactly_the_make_decisions(
    demo: Path, tmp_path: Path
) -> None:
    policy = tmp_path / "no-make.toml"
    policy.write_text(DEFAULT_POLICY.read_text() + NO_MAKE)
    expected: set[int] = set()
    for records in _sessions(demo).values():
        make = {
            r.payload["call_id"]
            for r in _gate_calls(records)
            if r.payload.get("command", "").startswith("make")
        }
        expected |= {
            r.seq
            for r in records
            if r.kind == "policy.decided"
            and r.payload["call_id"] in make
            and r.payload["source"] != "human"
        }
    assert expected, "the demo asks about `make test`"
    found: set[int] = set()
    for session_id, records in _sessions(demo).items():
        code, report = _redrive(demo, session_id, "--policy", str(policy))
        for divergence in report["divergences"]:
            assert divergence["kind"] == "decision" and divergence["redriven"] is True
            assert (divergence["expected"], divergence["actual"]) == ("ask", "deny (no-make)")
            assert divergence["detail"] == "make test" and not divergence["stopped"]
            found.add(divergence["seq"])
        assert code == (1 if report["divergences"] else 0)
        # A changed decision is reported and the re-drive goes on: every call is still made.
        assert report["tool_calls"] == len(_gate_calls(records))
    assert found == expected


def _tamper(db: Path, copy: Path, seq: int, old: str, new: str) -> None:
    shutil.copy(db, copy)
    conn = sqlite3.connect(copy, isolation_level=None)
    try:
        conn.execute("DROP TRIGGER event_no_update")
        conn.execute(
            "UPDATE event SET payload = replace(payload, ?, ?) WHERE seq = ?", (old, new, seq)
        )
        assert conn.execute("SELECT changes()").fetchone() == (1,)
    finally:
        conn.close()


def test_a_tampered_handoff_is_reported_where_it_is_and_ends_the_redrive(
    demo: Path, tmp_path: Path
) -> None:
    session_id, records = next(iter(_sessions(demo).items()))
    handoff = next(
        r
        for r in records
        if r.kind == "handoff"
        and (r.payload["from_role"], r.payload["to_role"]) == ("implementer", "validator")
    )
    tampered = tmp_path / "tampered.db"
    _tamper(demo, tampered, handoff.seq, '"to_role":"validator"', '"to_role":"reviewer"')

    code, report = _redrive(tampered, session_id)

    assert code == 1
    attempt = handoff.payload.get("attempt", 1)
    assert report["divergences"] == [
        {
            "seq": handoff.seq,
            "kind": "handoff",
            "agent_id": None,
            "expected": f"implementer → reviewer (attempt {attempt})",
            "actual": f"implementer → validator (attempt {attempt})",
            "detail": "",
            "stopped": True,
            "redriven": True,
        }
    ]
    assert report["handoffs"] == sum(r.kind == "handoff" and r.seq < handoff.seq for r in records)
    text = run_cli(tampered, "replay", session_id[:8], "--redrive")
    assert f"{handoff.seq} handoff" in text.stdout and "[re-drive stopped here]" in text.stdout


def test_human_answers_are_replayed_from_the_recording(reviewed: Path, tmp_path: Path) -> None:
    (session_id, records), *_ = _sessions(reviewed).items()
    answers = [r.payload["outcome"] for r in records if r.kind == "approval.resolved"]
    assert answers and set(answers) == {"denied"}
    assert records[-1].payload["outcome"] == "failed"  # both reviews said no

    policy = ("--policy", str(reviewed.parent / "policy.toml"))  # the one it ran under
    code, report = _redrive(reviewed, session_id, *policy)

    assert (code, report["divergences"]) == (0, [])
    assert report["handoffs"] == sum(r.kind == "handoff" for r in records)
    # Had the first review been approved, the recorded second attempt would never happen.
    review = next(
        r for r in records if r.kind == "approval.requested" and r.payload["call_id"] == "review-1"
    )
    resolved = next(
        r
        for r in records
        if r.kind == "approval.resolved"
        and r.payload["approval_id"] == review.payload["approval_id"]
    )
    tampered = tmp_path / "approved.db"
    _tamper(reviewed, tampered, resolved.seq, '"outcome":"denied"', '"outcome":"approved_once"')
    code, report = _redrive(tampered, session_id, *policy)
    assert code == 1
    (stop,) = report["divergences"]
    assert (stop["kind"], stop["actual"], stop["stopped"]) == ("handoff", "none", True)
    assert stop["expected"] == "orchestrator → implementer (attempt 2)"


def test_replay_usage_errors(demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    session_id = next(iter(_sessions(demo)))
    assert run_cli(demo, "replay", session_id[:8], "--json").returncode == 2
    unknown = run_cli(demo, "replay", "nope", "--redrive")
    assert unknown.returncode == 2 and "no session matches" in unknown.stderr
    broken = tmp_path / "broken.toml"
    broken.write_text("[[rules]\n")
    invalid = run_cli(demo, "replay", session_id[:8], "--redrive", "--policy", str(broken))
    assert invalid.returncode == 3 and "broken.toml" in invalid.stderr
    monkeypatch.setenv("QUARTERDECK_POLICY", str(broken))  # the policy in force is invalid
    effective = run_cli(demo, "replay", session_id[:8], "--redrive")
    assert effective.returncode == 3 and "broken.toml is invalid" in effective.stderr
    assert "Traceback" not in effective.stderr
