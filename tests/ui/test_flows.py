"""Every key and flow of the console, on a real database with real demo agents (subprocesses).

Assertions are on core state (the log, the approval projection, the policy file, agent pids)
and on the messages the app saw — never on timings.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from textual.message import Message
from textual.pilot import Pilot

from agents.demo.workspace import copy_demo_workspace
from agents.team import Team, bundled_team, load_team
from app.console import QuarterdeckApp
from app.wiring.console_boot import Boot, Run
from screens.confirm import ConfirmScreen
from screens.messages import LogAdvanced
from screens.replay import ReplayScreen
from screens.widgets.timeline import SessionTimeline
from sessions.schema.session import SessionState
from sessions.store.approval_rows import approvals_by_id
from sessions.store.engine import open_engine
from sessions.store.reading import load_session

Console = tuple[QuarterdeckApp, Pilot[int], list[Message]]


def _team() -> Team:
    team = load_team(bundled_team("demo-team.toml"))
    roles = dict(team.roles)
    roles["implementer"] = roles["implementer"].model_copy(update={"speed": 0.2})
    return team.model_copy(update={"roles": roles})


async def wait_for(pilot: Pilot[int], ready: Callable[[], bool], what: str) -> None:
    """Poll the app (no sleeps between checks beyond Textual's own pause) until ``ready``."""
    for _ in range(1200):
        if ready():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@asynccontextmanager
async def running_console(tmp_path: Path) -> AsyncIterator[Console]:
    """The console running the demo's first task; yields once an approval is waiting."""
    workspace = tmp_path / "ws"
    copy_demo_workspace(workspace)
    boot = Boot(db=str(tmp_path / "q.db"), runs=[Run("Fix the failing test", _team(), workspace)])
    seen: list[Message] = []
    app = QuarterdeckApp(boot, tick_s=None)
    async with app.run_test(size=(140, 44), message_hook=seen.append) as pilot:
        await wait_for(pilot, lambda: bool(app.model.view.pending), "an approval")
        yield app, pilot, seen
        if app.is_running:  # quit the way a user does, so the app stops its own runtime
            await pilot.press("ctrl+q")
            await pilot.pause()
            if isinstance(app.screen, ConfirmScreen):
                await pilot.press("y")
            await asyncio.wait_for(app.closed.wait(), 60)  # no pilot: the app is exiting


def _db(app: QuarterdeckApp) -> str:
    return app.boot.db


def _state(app: QuarterdeckApp, approval_id: str) -> str:
    engine = open_engine(_db(app), create=False)
    try:
        return approvals_by_id(engine, [approval_id])[0].state
    finally:
        engine.dispose()


def _answered(app: QuarterdeckApp, approval_id: str) -> bool:
    return _state(app, approval_id) != "pending"


def _agent_pids(app: QuarterdeckApp) -> list[int]:
    engine = open_engine(_db(app), create=False)
    try:
        records = [r for sid in app.started for r in load_session(engine, sid)]
    finally:
        engine.dispose()
    return [r.payload["pid"] for r in records if r.kind == "agent.started" and "pid" in r.payload]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


async def test_a_approves_once_and_the_alert_was_raised(tmp_path: Path) -> None:
    async with running_console(tmp_path) as (app, pilot, seen):
        first = app.model.view.pending[0].approval_id
        alerts = [a for m in seen if isinstance(m, LogAdvanced) for a in m.changes.alerts]
        assert any(a.kind == "approval" for a in alerts)
        await pilot.press("a")
        await wait_for(pilot, lambda: _state(app, first) != "pending", "the answer")
        assert _state(app, first) == "approved_once"


async def test_d_denies(tmp_path: Path) -> None:
    async with running_console(tmp_path) as (app, pilot, _):
        first = app.model.view.pending[0].approval_id
        await pilot.press("d")
        await wait_for(pilot, lambda: _state(app, first) != "pending", "the answer")
        assert _state(app, first) == "denied"


async def _until(app: QuarterdeckApp, pilot: Pilot[int], command: str) -> str:
    """Approve once until the demo asks for ``command``; that approval's id."""
    while True:
        await wait_for(pilot, lambda: bool(app.model.view.pending), "an approval")
        pending = app.model.view.pending[0]
        if pending.command == command:
            return pending.approval_id
        await pilot.press("a")
        await wait_for(pilot, partial(_answered, app, pending.approval_id), "the answer")


async def test_always_explains_when_no_narrow_rule_is_safe(tmp_path: Path) -> None:
    async with running_console(tmp_path) as (app, pilot, _):
        first = await _until(app, pilot, "make test")  # a rule asks for every make
        await pilot.press("A")
        told = lambda: any("cannot be granted" in n.message for n in app._notifications)  # noqa: E731
        await wait_for(pilot, told, "the refusal")
        assert _state(app, first) == "pending"
        assert not isinstance(app.screen, ConfirmScreen)


async def test_always_shows_the_narrowed_rule_then_adds_it_to_the_policy(tmp_path: Path) -> None:
    async with running_console(tmp_path) as (app, pilot, _):
        asked = await _until(app, pilot, "cksum calc/stats.py")  # no rule covers cksum
        await pilot.press("A")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the rule shown")
        await pilot.press("y")
        await wait_for(pilot, partial(_answered, app, asked), "the answer")
        assert _state(app, asked) == "approved_always"
        policy = app.opened.supervisor.policy_path if app.opened and app.opened.supervisor else None
        assert policy is not None
        text = policy.read_text()
        assert 'commands = [["cksum"]]' in text and 'roles = ["implementer"]' in text


async def test_enter_shows_details_and_answers_from_there(tmp_path: Path) -> None:
    async with running_console(tmp_path) as (app, pilot, _):
        first = app.model.view.pending[0].approval_id
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: type(app.screen).__name__ == "ApprovalDetailsScreen", "details"
        )
        await pilot.press("a")
        await wait_for(pilot, lambda: _state(app, first) != "pending", "the answer")
        assert _state(app, first) == "approved_once"


async def test_pause_then_resume(tmp_path: Path) -> None:
    async with running_console(tmp_path) as (app, pilot, _):
        sid = app.started[0]
        await pilot.press("p")
        await wait_for(pilot, lambda: _session_state(app, sid) is SessionState.PAUSED, "paused")
        await pilot.press("p")
        await wait_for(
            pilot, lambda: _session_state(app, sid) is not SessionState.PAUSED, "resumed"
        )


def _session_state(app: QuarterdeckApp, sid: str) -> SessionState | None:
    session = app.model.view.session(sid)
    return session.state if session is not None else None


async def test_cancel_asks_then_stops_the_session_and_its_agents(tmp_path: Path) -> None:
    async with running_console(tmp_path) as (app, pilot, _):
        sid = app.started[0]
        pids = _agent_pids(app)
        assert pids
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        await wait_for(pilot, lambda: sid not in app.running_here(), "the cancel")
        assert not [p for p in pids if _alive(p)]


async def test_filter_keeps_matching_rows(tmp_path: Path) -> None:
    async with running_console(tmp_path) as (app, pilot, _):
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"handoff", "enter")
        await pilot.pause()
        rows = app.screen.query_one(SessionTimeline).rows
        assert rows and all("handoff" in f"{r.kind} {r.summary}".lower() for r in rows)


async def test_palette_opens_a_replay(tmp_path: Path) -> None:
    async with running_console(tmp_path) as (app, pilot, _):
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Replay session", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen), "the replay screen")
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        await wait_for(pilot, lambda: screen.replay is not None, "the replay to load")
        await pilot.press("end")
        await pilot.pause()
        assert screen.replay is not None and screen.position == len(screen.replay)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ReplayScreen)


async def test_quit_with_running_sessions_asks_and_leaves_no_agent(tmp_path: Path) -> None:
    async with running_console(tmp_path) as (app, pilot, _):
        pids = _agent_pids(app)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and app.running_here()
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("y")
        await asyncio.wait_for(app.closed.wait(), 60)  # no pilot: the app is exiting
        assert not [p for p in pids if _alive(p)]
