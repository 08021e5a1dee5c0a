"""Time travel from the console: a killed run shows as interrupted and ``p`` resumes it; ``b``
shows what a rollback to the last known-good state changes, and ``y`` restores those bytes.

Real demo agents, a real database and real files; assertions on the log and the workspace.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from functools import partial
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from app.console import QuarterdeckApp
from app.wiring.console_boot import Boot
from screens.confirm import ConfirmScreen
from screens.dashboard import DashboardScreen
from sessions.store.engine import open_engine
from sessions.store.reading import load_session
from tests.integration.test_resume import _kill, _start, _until_approval
from tests.ui.test_flows import _answered, _session_state, running_console, wait_for


def _kinds(db: Path, session_id: str) -> list[str]:
    engine = open_engine(db, create=False)
    try:
        return [r.kind for r in load_session(engine, session_id)]
    finally:
        engine.dispose()


async def _approve_until_done(app: QuarterdeckApp, pilot: Pilot[int], session_id: str) -> None:
    """Approve every ask, once, until the session ends."""

    def ended() -> bool:
        return str(_session_state(app, session_id)) in ("succeeded", "failed", "cancelled")

    while not ended():
        await wait_for(pilot, lambda: bool(app.model.view.pending) or ended(), "an ask or the end")
        if ended():
            break
        asked = app.model.view.pending[0].approval_id
        await pilot.press("a")
        await wait_for(pilot, partial(_answered, app, asked), "the answer")


def _dashboard(app: QuarterdeckApp) -> DashboardScreen:
    dashboard = app.dashboard
    assert dashboard is not None
    return dashboard


async def test_a_killed_run_shows_as_interrupted_and_p_resumes_it(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    child, _workspace = _start(db, tmp_path)
    session_id = _until_approval(child)
    _kill(child)  # SIGKILL: the log says "awaiting approval", the lease's owner is dead
    app = QuarterdeckApp(Boot(db=str(db)), tick_s=None)
    async with app.run_test(size=(140, 44)) as pilot:
        await wait_for(
            pilot, lambda: session_id in _dashboard(app).interrupted, "the interrupted mark"
        )
        await pilot.press("p")
        await wait_for(pilot, lambda: session_id in app.running_here(), "the resume")
        app.check_interrupted()
        await wait_for(
            pilot, lambda: session_id not in _dashboard(app).interrupted, "the mark to go"
        )
        await _approve_until_done(app, pilot, session_id)
        assert str(_session_state(app, session_id)) == "succeeded"
        await wait_for(pilot, lambda: not app.running_here(), "the run to end")
        await pilot.press("ctrl+q")  # nothing runs: quits without asking
        await asyncio.wait_for(app.closed.wait(), 60)
    engine = open_engine(db, create=False)
    try:
        records = load_session(engine, session_id)
    finally:
        engine.dispose()
    states = [r.payload["to_state"] for r in records if r.kind == "session.state_changed"]
    assert "interrupted" in states and states[-1] == "succeeded"


async def test_b_shows_the_rollback_plan_and_restores_the_known_good_bytes(tmp_path: Path) -> None:
    async with running_console(tmp_path) as (app, pilot, _):
        session_id = app.started[0]
        await _approve_until_done(app, pilot, session_id)
        assert str(_session_state(app, session_id)) == "succeeded"
        await wait_for(pilot, lambda: not app.running_here(), "the run to close")
        stats = tmp_path / "ws" / "calc" / "stats.py"
        good = stats.read_bytes()
        stats.write_text("def moving_average(values, window):\n    return []  # broken\n")
        (tmp_path / "ws" / "scratch.txt").write_text("made by hand, not by the session\n")

        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the plan")
        body = str(app.screen.query_one(".dialog-body", Static).render())
        assert "M calc/stats.py" in body and "known-good" in body
        await pilot.press("y")
        await wait_for(pilot, lambda: stats.read_bytes() == good, "the restored file")
        assert (tmp_path / "ws" / "scratch.txt").exists()  # never deletes what it did not make
        tests = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=tmp_path / "ws",
            capture_output=True,
            text=True,
            check=False,
        )
        assert tests.returncode == 0, tests.stdout
        await wait_for(
            pilot, lambda: "rollback" in _kinds(tmp_path / "q.db", session_id), "the event"
        )


async def test_b_refuses_while_the_session_runs(tmp_path: Path) -> None:
    async with running_console(tmp_path) as (app, pilot, _):
        await pilot.press("b")
        refused = lambda: any("pause it first" in n.message for n in app._notifications)  # noqa: E731
        await wait_for(pilot, refused, "the refusal")
        assert not isinstance(app.screen, ConfirmScreen)
