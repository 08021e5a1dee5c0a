"""A session's edges with real agent processes: a login needed at the first prompt, a resume
with the agent's own memory (session/load), and endings that say what really happened."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path

from agents.approvals.broker import BrokerEvent, RequestAdded
from agents.approvals.on_ask import OnAsk
from agents.supervisor.actions import Supervisor
from agents.team import Team
from app.wiring.runtime import build_runtime
from sessions.readmodel.reducer import fold
from sessions.readmodel.views import AgentState
from sessions.schema.session import SessionState
from sessions.store.engine import open_engine
from sessions.store.reading import load_session
from sessions.store.record import Record
from tests.conftest import QUARTERDECK, run_cli
from tests.integration.lifecycle_support import lifecycle_team, marker_lines, team_file


async def _run(
    tmp_path: Path, team: Team, *, on_ask: OnAsk | None = None, cancel_turn: bool = False
) -> tuple[SessionState, str, list[Record]]:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "notes.txt").write_text("notes\n")
    runtime, loaded = build_runtime(str(tmp_path / "q.db"))
    assert loaded.ok
    if on_ask is not None:
        runtime.answer_asks(on_ask)
    asked = asyncio.Event()

    def listener(event: BrokerEvent) -> None:
        if isinstance(event, RequestAdded):
            asked.set()

    runtime.broker.subscribe(listener)
    orchestrator = runtime.orchestrator
    try:
        session_id = orchestrator.start("do it", team, workspace)
        if cancel_turn:  # the console's `x`: stop the running agent's turn, mid-turn
            await asyncio.wait_for(asked.wait(), 60)
            supervisor = Supervisor(
                runtime.store, policy_path=tmp_path / "p.toml", orchestrator=orchestrator, user="t"
            )
            said = await supervisor.stop_turn(session_id)
            assert said == "stopped the implementer's turn"
        state = await orchestrator.wait(session_id)
        ending = orchestrator.ending(session_id)
    finally:
        await runtime.close()
    return state, ending, load_session(runtime.store.engine, session_id)


def _kinds(records: list[Record], kind: str) -> list[Record]:
    return [r for r in records if r.kind == kind]


# -- login ---------------------------------------------------------------------------------------


async def test_a_login_needed_at_the_first_prompt_is_a_critical_escalation_never_retried(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "marker"
    team = lifecycle_team("login_at_prompt", marker)
    hinted = team.roles["implementer"].model_copy(update={"login_hint": "run `life login`"})
    team = team.model_copy(update={"roles": {"implementer": hinted}})
    state, ending, records = await _run(tmp_path, team)
    assert state is SessionState.FAILED
    [escalation] = _kinds(records, "escalation.raised")
    reason = escalation.payload["reason"]
    assert escalation.payload["severity"] == "critical"
    assert "implementer-1" in reason and "needs a login" in reason and "session/prompt" in reason
    assert "life login" in reason and "Agent log:" in reason
    [failed] = _kinds(records, "agent.failed")
    assert failed.payload["login_required"] is True
    assert _kinds(records, "retry.scheduled") == []
    assert marker_lines(marker).count("prompt") == 1  # never prompted again
    assert "needs a login" in records[-1].payload["summary"]
    assert "needs a login" in ending
    panel = fold(records).sessions[0].agents[0]
    assert panel.state is AgentState.NEEDS_LOGIN and panel.last_error == reason


def test_the_cli_says_a_needed_login_in_one_line(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    team = team_file(tmp_path / "team.toml", "login_at_prompt", tmp_path / "marker")
    done = run_cli(
        tmp_path / "q.db",
        "run",
        "x",
        "--headless",
        "--team",
        str(team),
        "--workspace",
        str(workspace),
    )
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert "needs a login" in line and "no login method" in line and ".stderr.log" in line


# -- resume with the agent's own memory -----------------------------------------------------------


def test_resume_reloads_the_agents_own_session_and_keeps_its_history_once(tmp_path: Path) -> None:
    db, marker = tmp_path / "q.db", tmp_path / "marker"
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "notes.txt").write_text("notes\n")
    team = team_file(tmp_path / "team.toml", "loadable", marker)
    child = subprocess.Popen(
        [
            *(str(QUARTERDECK), "--db", str(db), "run", "do it", "--headless", "--json"),
            *("--team", str(team), "--workspace", str(workspace), "--on-ask", "wait"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=os.environ.copy(),
    )
    assert child.stdout is not None
    session_id = ""
    for line in child.stdout:  # until the agent waits on an approval
        record = json.loads(line)
        if record["kind"] == "approval.requested":
            session_id = record["session_id"]
            break
    child.kill()  # SIGKILL: the run dies mid-turn
    child.wait(timeout=30)
    child.stdout.close()

    resumed = run_cli(db, "resume", session_id, "--team", str(team), "--on-ask", "allow")
    assert resumed.returncode == 0, resumed.stderr
    seen = [line for line in marker_lines(marker) if not line.startswith("permission")]
    assert seen == ["new mem-1", "prompt", "load mem-1", "prompt"]
    engine = open_engine(db, create=False)
    records = load_session(engine, session_id)
    engine.dispose()
    started = [r.payload for r in _kinds(records, "agent.started")]
    assert [(p["acp_session_id"], p.get("loaded", False)) for p in started] == [
        ("mem-1", False),
        ("mem-1", True),
    ]
    [history] = _kinds(records, "agent.history_replayed")
    assert history.payload["acp_session_id"] == "mem-1"
    texts = [f["params"]["update"]["content"]["text"] for f in history.payload["frames"]]
    assert texts == ["earlier: I read the notes", "earlier: I asked to fingerprint them"]
    said = [r.payload["text"] for r in _kinds(records, "agent.message")]
    assert said == ["continuing mem-1"]  # the replay is history, not new work
    updates = [r for r in _kinds(records, "raw") if r.payload.get("method") == "session/update"]
    assert [r for r in updates if "earlier:" in json.dumps(r.payload)] == []  # kept once
    assert "reloaded its session mem-1" in run_cli(db, "show", session_id).stdout


# -- honest endings ------------------------------------------------------------------------------


async def test_a_session_whose_every_action_was_refused_does_not_succeed(tmp_path: Path) -> None:
    state, ending, records = await _run(
        tmp_path, lifecycle_team("refused", tmp_path / "marker"), on_ask=OnAsk.DENY
    )
    assert state is SessionState.FAILED
    assert "was refused" in records[-1].payload["summary"] and "no validator" in ending


async def test_a_validator_that_passes_afterwards_makes_a_refused_attempt_a_success(
    tmp_path: Path,
) -> None:
    team = lifecycle_team("refused", tmp_path / "marker", checks=True)
    state, _ending, _records = await _run(tmp_path, team, on_ask=OnAsk.DENY)
    assert state is SessionState.SUCCEEDED


async def test_an_allowed_action_is_not_a_refusal(tmp_path: Path) -> None:
    team = lifecycle_team("refused", tmp_path / "marker")
    state, _ending, _records = await _run(tmp_path, team, on_ask=OnAsk.ALLOW)
    assert state is SessionState.SUCCEEDED


async def test_a_cancelled_last_turn_does_not_succeed(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    state, _ending, records = await _run(
        tmp_path, lifecycle_team("cancellable", marker), cancel_turn=True
    )
    assert marker_lines(marker)[:3] == ["new life-1", "prompt", "cancel"]  # it reached the agent
    assert next(r.payload["stop_reason"] for r in _kinds(records, "agent.stopped")) == "cancelled"
    assert state is SessionState.FAILED
    assert "ended 'cancelled'" in records[-1].payload["summary"]
    [controlled] = _kinds(records, "agent.controlled")
    assert controlled.payload["action"] == "cancel" and controlled.actor == "human:t"
