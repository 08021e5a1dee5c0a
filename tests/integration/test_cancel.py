"""Cancel reaches the agent: session/cancel, permissions answered cancelled, a grace, then the
whole process group is stopped — from every path that cancels, and at any moment of a session."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from agents.approvals.broker import BrokerEvent, RequestAdded
from agents.orchestrator.transitions import check_transition
from agents.team import Team
from app.wiring.runtime import Runtime, build_runtime
from sessions.schema.base import Payload
from sessions.schema.session import SessionState
from sessions.store import leases
from sessions.store.reading import load_session
from sessions.store.record import Record
from tests.conftest import QUARTERDECK, run_cli
from tests.integration.lifecycle_support import (
    group_alive,
    lifecycle_team,
    marker_lines,
    team_file,
)

S = SessionState


def _asked(runtime: Runtime) -> asyncio.Event:
    """Set when the first approval is asked (the agent then waits on it, mid-turn)."""
    asked = asyncio.Event()

    def listener(event: BrokerEvent) -> None:
        if isinstance(event, RequestAdded):
            asked.set()

    runtime.broker.subscribe(listener)
    return asked


def _one_ending(records: list[Record]) -> str:
    """Exactly one final state, reached by legal moves and matching ``session.finished``."""
    finished = [r for r in records if r.kind == "session.finished"]
    assert len(finished) == 1, [r.kind for r in records]
    assert records[-1].kind == "session.finished"  # nothing after the end
    state = S.CREATED
    for r in records:
        if r.kind == "session.state_changed":
            assert S(r.payload["from_state"]) is state
            check_transition(state, S(r.payload["to_state"]))
            state = S(r.payload["to_state"])
    assert state is S(finished[0].payload["outcome"])
    return str(finished[0].payload["outcome"])


def _agent_groups(records: list[Record]) -> list[int]:
    return [int(r.payload["pid"]) for r in records if r.kind == "agent.started"]


async def _cancel_mid_turn(
    tmp_path: Path, team: Team, cancel: Callable[[Runtime, str], Awaitable[Any]]
) -> tuple[list[Record], list[str]]:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "notes.txt").write_text("notes\n")
    runtime, loaded = build_runtime(str(tmp_path / "q.db"))
    assert loaded.ok
    asked = _asked(runtime)
    try:
        session_id = runtime.orchestrator.start("do it", team, workspace)
        await asyncio.wait_for(asked.wait(), 60)
        await cancel(runtime, session_id)
        await runtime.orchestrator.wait(session_id)
    finally:
        await runtime.close()
    return load_session(runtime.store.engine, session_id), marker_lines(tmp_path / "marker")


async def _cancel_session(runtime: Runtime, session_id: str) -> None:
    await runtime.orchestrator.cancel(session_id)


async def test_a_cancelled_session_tells_the_agent_first_and_leaves_no_process(
    tmp_path: Path,
) -> None:
    team = lifecycle_team("cancellable", tmp_path / "marker", linger=True)
    records, seen = await _cancel_mid_turn(tmp_path, team, _cancel_session)
    assert seen[:4] == ["new life-1", "prompt", "cancel", "permission cancelled"]
    assert seen[4].startswith("terminal signal="), seen  # its terminal was killed first
    assert _one_ending(records) == "cancelled"
    resolved = [r.payload["outcome"] for r in records if r.kind == "approval.resolved"]
    assert resolved == ["cancelled"]
    stops = [r.payload["stop_reason"] for r in records if r.kind == "agent.stopped"]
    assert stops[0] == "cancelled"  # the agent ended its own turn within the grace
    for pgid in _agent_groups(records):
        assert group_alive(pgid) == []  # the launcher's lingering child too


async def test_an_agent_that_ignores_cancel_is_stopped_after_the_grace(tmp_path: Path) -> None:
    team = lifecycle_team("ignores_cancel", tmp_path / "marker", linger=True, grace_s=0.2)
    records, seen = await _cancel_mid_turn(tmp_path, team, _cancel_session)
    assert seen == ["new life-1", "prompt", "cancel", "permission cancelled"]
    assert _one_ending(records) == "cancelled"
    for pgid in _agent_groups(records):
        assert group_alive(pgid) == []


async def test_a_turn_timeout_cancels_the_turn_the_agents_way(tmp_path: Path) -> None:
    team = lifecycle_team("cancellable", tmp_path / "marker", turn_timeout_s=1.0)

    async def nothing(_runtime: Runtime, _session_id: str) -> None:
        """The timeout does it."""

    records, seen = await _cancel_mid_turn(tmp_path, team, nothing)
    assert seen[:4] == ["new life-1", "prompt", "cancel", "permission cancelled"]
    assert _one_ending(records) == "failed"
    assert "turn_timeout_s" in records[-1].payload["summary"]


async def test_quitting_cancels_every_session_the_agents_way(tmp_path: Path) -> None:
    team = lifecycle_team("cancellable", tmp_path / "marker", linger=True)

    async def quit_(runtime: Runtime, _session_id: str) -> None:
        await runtime.orchestrator.shutdown()

    records, seen = await _cancel_mid_turn(tmp_path, team, quit_)
    assert seen[:4] == ["new life-1", "prompt", "cancel", "permission cancelled"]
    assert _one_ending(records) == "cancelled"
    for pgid in _agent_groups(records):
        assert group_alive(pgid) == []


# -- a cancel at any moment of a session's end ---------------------------------------------------


def _kind(kind: str, **fields: object) -> Callable[[Payload], bool]:
    def matches(payload: Payload) -> bool:
        data = payload.model_dump()
        return kind == payload.KIND and all(data.get(k) == v for k, v in fields.items())

    return matches


POINTS = {
    "after the last turn": (_kind("handoff", to_role="validator"), "cancelled"),
    "during validation": (_kind("validation.result"), "cancelled"),
    "after the checks passed": (_kind("checkpoint", known_good=True), "cancelled"),
    "agents stopped": ("broker", "succeeded"),
    "state recorded": (_kind("session.state_changed", to_state="succeeded"), "succeeded"),
    "memory purged": (_kind("memory.purged"), "succeeded"),
    "session.finished written": (_kind("session.finished"), "succeeded"),
}
"""Where the runner is held when the cancel comes, and the outcome it must end with: before the
finish began the cancel wins; once the outcome is decided it is too late to change it."""


@pytest.mark.parametrize("raw", [False, True], ids=["cancel", "task.cancel"])
@pytest.mark.parametrize("point", list(POINTS))
async def test_a_cancel_at_any_moment_leaves_one_ending_and_no_process(
    tmp_path: Path, point: str, raw: bool
) -> None:
    where, outcome = POINTS[point]
    workspace = tmp_path / "ws"
    workspace.mkdir()
    team = lifecycle_team("quick", tmp_path / "marker", linger=True, checks=True)
    runtime, loaded = build_runtime(str(tmp_path / "q.db"))
    assert loaded.ok
    reached, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        if not reached.is_set():
            reached.set()
            await release.wait()

    if where == "broker":  # after every agent was stopped, before the outcome is recorded
        cancel_session = runtime.broker.cancel_session

        async def held_cancel(session_id: str, **kwargs: Any) -> None:
            await hold()
            await cancel_session(session_id, **kwargs)

        runtime.broker.cancel_session = held_cancel  # type: ignore[method-assign]
    else:
        append_durable = runtime.store.append_durable
        assert callable(where)

        async def held_append(session_id: str, actor: str, payload: Payload) -> Record:
            record = await append_durable(session_id, actor, payload)
            if where(payload):
                await hold()
            return record

        runtime.store.append_durable = held_append  # type: ignore[method-assign]
    orchestrator = runtime.orchestrator
    try:
        session_id = orchestrator.start("do it", team, workspace)
        await asyncio.wait_for(reached.wait(), 60)
        finishing = outcome == "succeeded"
        if raw:
            orchestrator.tasks[session_id].cancel()
        else:
            assert orchestrator.runners[session_id].cancel("cancelled now") is not finishing
        release.set()
        state = await orchestrator.wait(session_id)
    finally:
        await runtime.close()
    records = load_session(runtime.store.engine, session_id)
    assert _one_ending(records) == outcome
    assert state is S(outcome)
    for pgid in _agent_groups(records):
        assert group_alive(pgid) == []


async def test_a_session_releasing_its_lease_after_its_end_is_not_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quitting right after sessions ended must not ask about "1 session running"."""
    workspace = tmp_path / "ws"
    workspace.mkdir()
    releasing, release = threading.Event(), threading.Event()
    real_release = leases.release

    def held_release(*args: Any, **kwargs: Any) -> None:  # runs on a worker thread
        releasing.set()
        release.wait(60)
        real_release(*args, **kwargs)

    monkeypatch.setattr(leases, "release", held_release)
    runtime, loaded = build_runtime(str(tmp_path / "q.db"))
    assert loaded.ok
    orchestrator = runtime.orchestrator
    try:
        session_id = orchestrator.start("do it", lifecycle_team("quick", tmp_path / "m"), workspace)
        assert session_id in orchestrator.running()
        await asyncio.to_thread(releasing.wait, 60)
        assert not orchestrator.tasks[session_id].done()  # the lease is not released yet
        assert orchestrator.running() == []
        release.set()
        assert await orchestrator.wait(session_id) is S.SUCCEEDED
    finally:
        release.set()
        await runtime.close()


# -- the real command: `quarterdeck cancel` from another process, SIGTERM, Ctrl-C -------------------


def _headless(tmp_path: Path, scenario: str) -> tuple[subprocess.Popen[str], str, list[int]]:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "notes.txt").write_text("notes\n")
    team = team_file(tmp_path / "team.toml", scenario, tmp_path / "marker", linger=True)
    child = subprocess.Popen(
        [
            *(str(QUARTERDECK), "--db", str(tmp_path / "q.db"), "run", "do it", "--headless"),
            *("--team", str(team), "--workspace", str(workspace), "--on-ask", "wait", "--json"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert child.stdout is not None
    pids = []
    for line in child.stdout:  # the run's own output says when the agent waits: no sleeps
        record = json.loads(line)
        if record["kind"] == "agent.started":
            pids.append(int(record["payload"]["pid"]))
        if record["kind"] == "approval.requested":
            return child, str(record["session_id"]), pids
    raise AssertionError(child.stderr.read() if child.stderr else "no approval asked")


@pytest.mark.parametrize("how", ["quarterdeck cancel", "SIGTERM", "SIGINT"])
def test_every_way_to_stop_a_headless_run_reaches_the_agent(tmp_path: Path, how: str) -> None:
    child, session_id, pids = _headless(tmp_path, "cancellable")
    if how == "quarterdeck cancel":
        asked = run_cli(tmp_path / "q.db", "cancel", session_id[:8])
        assert asked.returncode == 0, asked.stderr
    else:
        child.send_signal(signal.SIGTERM if how == "SIGTERM" else signal.SIGINT)
    _out, err = child.communicate(timeout=60)
    assert child.returncode == (1 if how == "quarterdeck cancel" else 143), err
    assert "Traceback" not in err
    seen = marker_lines(tmp_path / "marker")
    assert seen[:4] == ["new life-1", "prompt", "cancel", "permission cancelled"]
    for pgid in pids:
        assert group_alive(pgid) == []
    shown = run_cli(tmp_path / "q.db", "show", session_id, "--json")
    records = [json.loads(line) for line in shown.stdout.splitlines()]
    assert [r["kind"] for r in records].count("session.finished") == 1
    assert records[-1]["payload"]["outcome"] == "cancelled"
