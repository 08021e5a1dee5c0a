"""Crash recovery with the real command: kill -9 a headless run, then resume or cancel it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from agents.team import bundled_team, demo_dir
from sessions.schema.tools import ToolIntent
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore
from sessions.store.reading import load_session
from sessions.store.verify import verify_chain
from tests.conftest import QUARTERDECK, run_cli

TASK = "Fix the failing moving_average test"
FIXED = "range(len(values) - window + 1)]"


def _start(db: Path, tmp_path: Path) -> tuple[subprocess.Popen[str], Path]:
    workspace = tmp_path / "ws"
    shutil.copytree(demo_dir() / "workspace", workspace)
    child = subprocess.Popen(
        [
            str(QUARTERDECK),
            "--db",
            str(db),
            "run",
            TASK,
            "--headless",
            "--team",
            str(bundled_team("demo-team.toml")),
            "--workspace",
            str(workspace),
            "--on-ask",
            "wait",
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    return child, workspace


def _until_approval(child: subprocess.Popen[str]) -> str:
    """Read the run's own output (no sleeps) until it asks; returns the session id."""
    assert child.stdout is not None
    for line in child.stdout:
        record = json.loads(line)
        if record["kind"] == "approval.requested":
            return str(record["session_id"])
    raise AssertionError(
        f"the run ended without asking: {child.stderr.read() if child.stderr else ''}"
    )


def _records(db: Path, session_id: str) -> list[Any]:
    engine = open_engine(db, create=False)
    try:
        return load_session(engine, session_id)
    finally:
        engine.dispose()


def _redrive(db: Path, session_id: str) -> dict[str, Any]:
    """``replay --redrive --json``: how many runs, what diverged, whether the log stops early."""
    done = run_cli(db, "replay", session_id, "--redrive", "--json")
    assert done.returncode in (0, 1), done.stderr[-3000:]
    report = json.loads(done.stdout)
    return {key: report[key] for key in ("runs", "divergences", "ended_early")}


def _states(records: list[Any]) -> list[str]:
    return [r.payload["to_state"] for r in records if r.kind == "session.state_changed"]


def _kill(child: subprocess.Popen[str]) -> None:
    child.kill()  # SIGKILL: no finally runs, the log is left "awaiting approval"
    child.wait(timeout=30)
    for stream in (child.stdout, child.stderr):
        if stream is not None:
            stream.close()


def test_a_killed_run_resumes_and_finishes_without_repeating_a_side_effect(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    child, workspace = _start(db, tmp_path)
    session_id = _until_approval(child)
    _kill(child)
    # A crash between a tool's intent and its result, as the journal would leave it.
    with EventStore(open_engine(db)) as store:
        store.append_sync(
            session_id,
            "implementer-1",
            ToolIntent(
                call_id="tc-lost",
                idempotency_key="key-lost",
                action="execute",
                argv=["touch", "lost"],
                cwd=str(workspace),
            ),
        )

    done = run_cli(db, "resume", session_id[:8], "--on-ask", "allow", "--json")

    assert done.returncode == 0, done.stderr[-3000:]
    assert (
        "resuming session" in done.stderr
        and "1 tool call(s) with an unknown outcome" in done.stderr
    )
    records = _records(db, session_id)
    states = _states(records)
    assert states[states.index("interrupted") + 1] == "running"
    assert records[-1].kind == "session.finished" and records[-1].payload["outcome"] == "succeeded"
    unknown = [
        r.payload
        for r in records
        if r.kind == "tool.result" and r.payload["status"] == "outcome_unknown"
    ]
    assert [p["idempotency_key"] for p in unknown] == ["key-lost"]
    assert not (workspace / "lost").exists()  # never re-run
    intents = [r.payload["idempotency_key"] for r in records if r.kind == "tool.intent"]
    assert intents.count("key-lost") == 1
    # The orphaned request of the dead process was closed, not left pending.
    resolved = [r.payload["outcome"] for r in records if r.kind == "approval.resolved"]
    assert resolved[0] == "cancelled"
    source = (workspace / "calc" / "stats.py").read_text()
    assert source.count(FIXED) == 1 and "+ 1 + 1" not in source  # edited exactly once
    assert verify_chain(open_engine(db, create=False)).ok

    again = run_cli(db, "resume", session_id)
    assert again.returncode == 1 and "already finished (succeeded)" in again.stderr
    # Re-driven as its two runs: the killed one up to the kill, the resumed one from there.
    assert _redrive(db, session_id) == {"runs": 2, "divergences": [], "ended_early": False}


def test_cancel_asks_the_live_run_to_stop_and_resume_is_refused_meanwhile(
    tmp_path: Path,
) -> None:
    db = tmp_path / "q.db"
    child, _workspace = _start(db, tmp_path)
    session_id = _until_approval(child)

    refused = run_cli(db, "resume", session_id, "--on-ask", "allow")
    assert refused.returncode == 1, refused.stderr
    assert f":{child.pid} (lease until" in refused.stderr

    asked = run_cli(db, "cancel", session_id[:8])
    assert asked.returncode == 0, asked.stderr
    assert "asked" in asked.stderr
    assert child.wait(timeout=30) == 1
    records = _records(db, session_id)
    assert records[-1].kind == "session.finished"
    assert records[-1].payload["outcome"] == "cancelled"
    assert "quarterdeck cancel" in records[-1].payload["summary"]
    assert run_cli(db, "cancel", session_id).returncode == 1  # already finished


def test_cancel_of_a_dead_run_records_it_here(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    child, _workspace = _start(db, tmp_path)
    session_id = _until_approval(child)
    _kill(child)

    done = run_cli(db, "cancel", session_id)

    assert done.returncode == 0, done.stderr
    records = _records(db, session_id)
    assert _states(records)[-2:] == ["interrupted", "cancelled"]
    assert records[-2].kind == "memory.purged" and records[-2].payload["reason"] == "cancelled"
    assert records[-1].payload["outcome"] == "cancelled"
    assert records[-1].actor.startswith("human:")
    refused = run_cli(db, "resume", session_id)
    assert refused.returncode == 1 and "already finished (cancelled)" in refused.stderr
    # One run, cut by the kill; the cancel's records are bookkeeping, not a run.
    assert _redrive(db, session_id) == {"runs": 1, "divergences": [], "ended_early": True}


def _run_allowing(db: Path, workspace: Path, *, watched: bool) -> subprocess.Popen[str]:
    shutil.copytree(demo_dir() / "workspace", workspace)
    return subprocess.Popen(
        [
            str(QUARTERDECK),
            "--db",
            str(db),
            "run",
            TASK,
            "--headless",
            "--team",
            str(bundled_team("demo-team.toml")),
            "--workspace",
            str(workspace),
            "--on-ask",
            "allow",
            "--json",
        ],
        stdout=subprocess.PIPE if watched else subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        env=os.environ.copy(),
    )


def _resume(db: Path, session_id: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(QUARTERDECK), "--db", str(db), "resume", session_id, "--on-ask", "allow"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def _files(root: Path) -> dict[str, bytes]:
    skip = {"__pycache__", ".pytest_cache"}
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not skip.intersection(p.parts)
    }


def test_killed_at_each_step_boundary_then_resumed_ends_like_an_uninterrupted_run(
    tmp_path: Path,
) -> None:
    """SIGKILL right after every handoff of the workflow — plan, task, implementation to the
    validator, to the reviewer, verdict — all runs side by side; each resumed run must end
    succeeded with the same workspace as one never killed, and re-drive without divergence."""
    boundaries = (1, 2, 3, 4, 5)
    reference = _run_allowing(tmp_path / "ref.db", tmp_path / "ref", watched=False)
    runs = {
        n: _run_allowing(tmp_path / f"k{n}.db", tmp_path / f"k{n}", watched=True)
        for n in boundaries
    }
    sessions: dict[int, str] = {}
    for n, child in runs.items():
        assert child.stdout is not None
        seen = 0
        for line in child.stdout:
            record = json.loads(line)
            seen += record["kind"] == "handoff"
            if seen == n:
                sessions[n] = str(record["session_id"])
                break
        _kill(child)
    assert reference.wait(timeout=120) == 0
    resumes = {n: _resume(tmp_path / f"k{n}.db", sessions[n]) for n in boundaries}
    expected = _files(tmp_path / "ref")
    assert (tmp_path / "ref" / "calc" / "stats.py").read_text().count(FIXED) == 1
    for n, child in resumes.items():
        _out, err = child.communicate(timeout=120)
        assert child.returncode == 0, f"boundary {n}: {err[-2000:]}"
        assert _files(tmp_path / f"k{n}") == expected, f"boundary {n}"
        records = _records(tmp_path / f"k{n}.db", sessions[n])
        assert records[-1].payload["outcome"] == "succeeded"
        assert "interrupted" in _states(records)
        redriven = _redrive(tmp_path / f"k{n}.db", sessions[n])
        assert redriven == {"runs": 2, "divergences": [], "ended_early": False}, f"boundary {n}"
