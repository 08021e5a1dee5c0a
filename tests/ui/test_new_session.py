"""``n``: the new-session form — each problem shown under its field, a session started on the
demo team and selected, and a console that cannot run sessions saying so.

The consoles here run on a real database with the real runtime; the started session runs the
demo's scripted agents. Waits are on state (the form's fields, the model, the selection).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static, TextArea

from agents.demo.workspace import copy_demo_workspace
from agents.team import bundled_team
from app.console import QuarterdeckApp
from app.paths import config_dir
from app.wiring.console_boot import Boot
from screens.confirm import ConfirmScreen
from screens.dashboard import DashboardScreen
from screens.new_session import NewSessionScreen
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore
from sessions.store.transfer import import_session
from tests.ui.conftest import ready, scene_app
from tests.ui.test_flows import wait_for

FIXTURE = Path(__file__).parents[1] / "fixtures" / "session-basic.jsonl"

Console = tuple[QuarterdeckApp, Pilot[int], list[str]]


@asynccontextmanager
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    """A console that can run sessions, on a database holding one finished session (shown
    selected); yields once it has loaded."""
    db = tmp_path / "q.db"
    with EventStore(open_engine(db)) as store:
        import_session(store, FIXTURE)
    app = QuarterdeckApp(Boot(db=str(db)), tick_s=None)
    notes: list[str] = []

    def hook(message: Message) -> None:
        if isinstance(message, Notify):
            notes.append(f"{message.notification.title}: {message.notification.message}")

    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await ready(pilot)
        yield app, pilot, notes
        if app.is_running:  # quit as a user does, so the app stops its own runtime
            await pilot.press("ctrl+q")
            await pilot.pause()
            if isinstance(app.screen, ConfirmScreen):
                await pilot.press("y")
            await asyncio.wait_for(app.closed.wait(), 60)


async def open_form(app: QuarterdeckApp, pilot: Pilot[int]) -> NewSessionScreen:
    """Press ``n``; the form once it lists its team files."""
    await pilot.press("n")
    await wait_for(pilot, lambda: isinstance(app.screen, NewSessionScreen), "the form")
    form = app.screen
    assert isinstance(form, NewSessionScreen)
    await wait_for(pilot, lambda: bool(form.teams), "the team files")
    return form


def error(form: NewSessionScreen, field: str) -> str:
    """The error line under ``field``, or "" when it is hidden."""
    line = form.query_one(f"#{field}-error", Static)
    return str(line.render()) if line.display else ""


async def test_each_problem_shows_under_its_field(tmp_path: Path) -> None:
    broken = config_dir() / "broken-team.toml"
    broken.parent.mkdir(parents=True)
    broken.write_text('name = "broken"\n[roles.implementer]\nbackend = "nonesuch"\n')
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a directory\n")
    async with console(tmp_path) as (app, pilot, notes):
        form = await open_form(app, pilot)
        paths = [f.path for f in form.teams]
        assert broken in paths and bundled_team("demo-team.toml") in paths
        form.query_one("#workspace", Input).value = str(tmp_path / "missing")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(error(form, "task")), "the task's problem")
        assert error(form, "task") == "say what the team should do"
        assert error(form, "workspace") == f"no such directory: {tmp_path / 'missing'}"
        assert error(form, "team") == ""  # the configured team.toml is absent: bundled default

        form.query_one("#workspace", Input).value = str(a_file)
        form.query_one("#team", Select).value = str(broken)
        await pilot.click("#task")
        await pilot.press(*"fix", "enter", *"it")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not error(form, "task"), "the task accepted")
        assert error(form, "workspace") == f"not a directory: {a_file}"
        assert error(form, "team").startswith(f"{broken}: roles.implementer.backend: ")
        assert "\n" not in error(form, "team")  # the loader's one line, no traceback
        assert form.query_one("#task", TextArea).text == "fix\nit"  # multi-line

        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "the dashboard")
        assert len(app.model.view.sessions) == 1 and not app.running_here()  # nothing started
        assert not [n for n in notes if n.startswith("Background work failed")]


async def test_n_starts_a_session_on_the_demo_team_and_selects_it(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    copy_demo_workspace(workspace)
    async with console(tmp_path) as (app, pilot, notes):
        dashboard = app.dashboard
        assert dashboard is not None
        history = dashboard.selected_session
        assert history is not None  # another session is selected first
        form = await open_form(app, pilot)
        await pilot.press(*"Fix the failing test")
        form.query_one("#workspace", Input).value = str(workspace)
        form.query_one("#team", Select).value = str(bundled_team("demo-team.toml"))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is dashboard, "the form to close")
        running = app.running_here()
        assert len(running) == 1
        sid = running[0]

        def selected() -> str | None:
            session = dashboard.selected_session
            return session.session_id if session is not None else None

        await wait_for(pilot, lambda: selected() == sid, "the new session selected")
        session = dashboard.selected_session
        assert session is not None
        assert session.title == "Fix the failing test"
        assert session.workspace == str(workspace.resolve())
        assert f"New session: started session {sid[:8]}" in notes


async def test_n_in_a_read_only_console_says_so() -> None:
    app = scene_app([])
    notes: list[str] = []

    def hook(message: Message) -> None:
        if isinstance(message, Notify):
            notes.append(message.notification.message)

    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await ready(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: bool(notes), "a notification")
        assert notes == ["This console is read-only: it cannot start sessions."]
        assert isinstance(app.screen, DashboardScreen)
