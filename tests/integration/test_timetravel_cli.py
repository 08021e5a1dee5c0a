"""``rollback``, ``fork`` and ``replay`` through the real command."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
from pathlib import Path

from agents.checkpoints.recorder import Checkpoints
from agents.team import bundled_team, demo_dir
from app.paths import checkpoints_dir
from sessions.schema.session import SessionCreated, SessionState, SessionStateChanged
from sessions.store import leases
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore
from sessions.store.reading import load_session
from tests.conftest import run_cli

TASK = "Fix the failing moving_average test"
FIXED = "range(len(values) - window + 1)]"


async def _session(db: Path, ws: Path) -> str:
    ws.mkdir()
    (ws / "a.txt").write_text("before\n")
    with EventStore(open_engine(db)) as store:
        created = SessionCreated(title="t", workspace=str(ws.resolve()), team="demo")
        await store.append_durable("s-1", "orchestrator", created)
        await Checkpoints(store, checkpoints_dir()).take("s-1", label="session start", workspace=ws)
    (ws / "a.txt").write_text("after\n")
    return "s-1"


async def test_rollback_is_refused_while_a_live_process_runs_the_session_unless_paused(
    tmp_path: Path,
) -> None:
    db, ws = tmp_path / "q.db", tmp_path / "ws"
    sid = await _session(db, ws)
    engine = open_engine(db)
    leases.acquire(engine, sid, f"{socket.gethostname()}:{os.getpid()}", ttl_s=600)  # we are alive

    refused = run_cli(db, "rollback", sid, "--to", "10", "--yes")
    assert refused.returncode == 1 and "is being run by" in refused.stderr
    assert (ws / "a.txt").read_text() == "after\n"

    with EventStore(engine) as store:
        for a, b in (
            (SessionState.CREATED, SessionState.RUNNING),
            (SessionState.RUNNING, SessionState.PAUSED),
        ):
            await store.append_durable(
                sid, "orchestrator", SessionStateChanged(from_state=a, to_state=b)
            )
    listed = run_cli(db, "rollback", sid, "--to", "10", "--dry-run")
    assert listed.returncode == 0 and "M a.txt" in listed.stdout
    assert (ws / "a.txt").read_text() == "after\n"
    unconfirmed = run_cli(db, "rollback", sid, "--to", "10")
    assert unconfirmed.returncode == 2 and "add --yes" in unconfirmed.stderr
    done = run_cli(db, "rollback", sid, "--to", "10", "--yes")
    assert done.returncode == 0, done.stderr
    assert (ws / "a.txt").read_text() == "before\n"
    undo = run_cli(db, "rollback", sid, "--undo", "--yes")
    assert undo.returncode == 0 and (ws / "a.txt").read_text() == "after\n"
    kinds = [r.kind for r in load_session(engine, sid)]
    assert kinds[-4:] == ["checkpoint", "rollback", "checkpoint", "rollback"]
    assert run_cli(db, "rollback", sid).returncode == 2  # a target is required
    bad = run_cli(db, "rollback", sid, "--to-checkpoint", "nope", "--yes")
    assert bad.returncode == 1 and "matches no checkpoints" in bad.stderr


def test_a_fork_continues_with_the_same_team_and_leaves_its_origin_alone(tmp_path: Path) -> None:
    db, ws = tmp_path / "q.db", tmp_path / "ws"
    shutil.copytree(demo_dir() / "workspace", ws)
    team = str(bundled_team("demo-team.toml"))
    ran = run_cli(
        db,
        "run",
        TASK,
        "--headless",
        "--team",
        team,
        "--workspace",
        str(ws),
        "--on-ask",
        "allow",
        "--json",
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    records = [json.loads(line) for line in ran.stdout.splitlines()]
    sid = records[0]["session_id"]
    at = next(
        r["seq"]
        for r in records
        if r["kind"] == "handoff" and r["payload"]["to_role"] == "implementer"
    )
    forked = run_cli(db, "fork", sid[:8], "--at", str(at), "--workspace", str(tmp_path / "fork"))
    assert forked.returncode == 0, forked.stderr
    new = forked.stdout.strip()
    assert FIXED not in (tmp_path / "fork" / "calc" / "stats.py").read_text()  # before the fix

    resumed = run_cli(db, "resume", new[:8], "--on-ask", "allow")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert (tmp_path / "fork" / "calc" / "stats.py").read_text().count(FIXED) == 1
    engine = open_engine(db, create=False)
    fork_log = load_session(engine, new)
    assert fork_log[0].payload["origin"] == {"session_id": sid, "seq": at}
    assert fork_log[-1].payload["outcome"] == "succeeded"
    assert load_session(engine, sid)[-1].kind == "session.finished"  # the origin is untouched

    # The fork re-drives as two runs: the origin's copied one, in the origin's workspace (where
    # its calls were decided), and the fork's own, resumed from where the copy stops.
    redrive = run_cli(db, "replay", new[:8], "--redrive", "--json")
    assert redrive.returncode == 0, redrive.stdout + redrive.stderr
    report = json.loads(redrive.stdout)
    assert (report["runs"], report["divergences"]) == (2, [])
    assert report["tool_calls"] > 3 and report["handoffs"] >= 5
    no_rules = tmp_path / "empty.toml"
    no_rules.write_text("version = 1\n")  # no roles or rules: recorded allows now diverge
    stricter = run_cli(db, "replay", new[:8], "--redrive", "--policy", str(no_rules))
    assert stricter.returncode == 1, stricter.stderr
    assert re.search(r"decision +planner-1 +allow \(workspace-read\) → deny", stricter.stdout)
    assert "no divergence" not in stricter.stdout
    screen = run_cli(db, "replay", new[:8])
    assert screen.returncode == 2 and "needs a terminal" in screen.stderr  # no tty here
