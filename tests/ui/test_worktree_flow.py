"""A session in its own git worktree, from the console: started from the ``n`` form's option on
a real repository, run by the demo's agents, reviewed and accepted (``v``, ``a``), then merged
into the starting branch from the worktree modal the acceptance opens; the option refused
inline where there is no repository, and ``W`` on a session that works in place.

Waits are on state (the model, the screens, the files), never on time.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select, Static

from agents.approvals.on_ask import OnAsk
from agents.demo.workspace import copy_demo_workspace
from agents.team import bundled_team
from agents.worktrees.create import WORKTREES_DIR
from app.console import QuarterdeckApp
from app.wiring.console_boot import Boot
from screens.confirm import ConfirmScreen
from screens.dashboard import DashboardScreen
from screens.message import MessageScreen
from screens.new_session import NewSessionScreen
from screens.review import ReviewScreen
from screens.worktree_end import WorktreeEndScreen
from sessions.lifecycle import TERMINAL_STATES
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore
from sessions.store.reading import load_session
from sessions.store.transfer import import_session
from tests.ui.conftest import ready
from tests.ui.test_flows import wait_for
from tests.unit.worktrees.support import git_config

FIXTURE = Path(__file__).parents[1] / "fixtures" / "session-basic.jsonl"

Console = tuple[QuarterdeckApp, Pilot[int], list[str]]


@asynccontextmanager
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    """A console that runs sessions and allows what its agents ask (``--on-ask allow``), on a
    database holding one finished session that works in place."""
    db = tmp_path / "q.db"
    with EventStore(open_engine(db)) as store:
        import_session(store, FIXTURE)
    app = QuarterdeckApp(Boot(db=str(db), on_ask=OnAsk.ALLOW), tick_s=None)
    notes: list[str] = []

    def hook(message: Message) -> None:
        if isinstance(message, Notify):
            notes.append(message.notification.message)

    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await ready(pilot)
        yield app, pilot, notes
        if app.is_running:
            await pilot.press("ctrl+q")
            await pilot.pause()
            if isinstance(app.screen, ConfirmScreen):
                await pilot.press("y")
            await asyncio.wait_for(app.closed.wait(), 60)


async def fill_form(app: QuarterdeckApp, pilot: Pilot[int], workspace: Path) -> NewSessionScreen:
    """``n``, the demo team on ``workspace`` with the worktree option ticked, ``ctrl+s``."""
    await pilot.press("n")
    await wait_for(pilot, lambda: isinstance(app.screen, NewSessionScreen), "the form")
    form = app.screen
    assert isinstance(form, NewSessionScreen)
    await wait_for(pilot, lambda: bool(form.teams), "the team files")
    await pilot.press(*"Fix the failing test")
    form.query_one("#workspace", Input).value = str(workspace)
    form.query_one("#team", Select).value = str(bundled_team("demo-team.toml"))
    form.query_one("#worktree", Checkbox).focus()
    await pilot.press("space")  # ticked from the keyboard
    assert form.query_one("#worktree", Checkbox).value
    await pilot.press("ctrl+s")
    return form


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


async def test_a_session_started_in_a_worktree_is_merged_from_the_console(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git_config(tmp_path, monkeypatch)
    repo = tmp_path / "calc"
    copy_demo_workspace(repo)
    start = git(repo, "rev-parse", "HEAD").strip()
    async with console(tmp_path) as (app, pilot, notes):
        dashboard = app.dashboard
        assert dashboard is not None
        await fill_form(app, pilot, repo)
        await wait_for(pilot, lambda: app.screen is dashboard, "the form to close")
        sid = app.running_here()[0]
        worktree = tmp_path / WORKTREES_DIR / "calc" / sid[:8]

        def session_state() -> str | None:
            session = app.model.view.session(sid)
            return session.state if session is not None else None

        chosen = lambda: dashboard.selected_session  # noqa: E731
        await wait_for(pilot, lambda: (c := chosen()) is not None and c.session_id == sid, "it")
        session = app.model.view.session(sid)
        assert session is not None and session.workspace == str(worktree)
        assert (
            git(worktree, "rev-parse", "--abbrev-ref", "HEAD").strip() == f"quarterdeck/{sid[:8]}"
        )
        await wait_for(pilot, lambda: session_state() in TERMINAL_STATES, "the session's end")
        assert session_state() == "succeeded"
        assert git(repo, "rev-parse", "HEAD").strip() == start  # the checkout was untouched

        dashboard.show_session(sid)
        await pilot.press("v")  # review, accept: the worktree's end is offered next
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen), "the review")
        review = app.screen
        assert isinstance(review, ReviewScreen)
        await wait_for(pilot, lambda: review.shown is not None, "the session's changes")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, MessageScreen), "accept's comment")
        await pilot.press("enter")  # no comment
        await wait_for(pilot, lambda: isinstance(app.screen, WorktreeEndScreen), "the modal")
        modal = app.screen
        assert isinstance(modal, WorktreeEndScreen)
        assert "calc/stats.py" in modal.status.changes  # the agents' fix, not yet committed
        await pilot.press("m")
        told = "into main (fast-forward)"
        await wait_for(pilot, lambda: any(told in n for n in notes), "the merge, told")
        assert app.screen is dashboard
    assert "window + 1" in (repo / "calc" / "stats.py").read_text()
    assert git(repo, "log", "-1", "--format=%s").startswith(f"quarterdeck {sid[:8]}: Fix the")
    assert not worktree.exists()
    kinds = [r.kind for r in load_session(open_engine(tmp_path / "q.db"), sid)]
    assert kinds[1] == "worktree.created" and kinds[-1] == "worktree.merged"
    assert kinds.index("session.finished") < kinds.index("review.accepted")
    assert kinds.index("review.accepted") < kinds.index("worktree.merged")


async def test_the_worktree_option_where_there_is_no_repository_is_refused_inline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git_config(tmp_path, monkeypatch)
    plain = tmp_path / "plain"
    plain.mkdir()
    async with console(tmp_path) as (app, pilot, notes):
        dashboard = app.dashboard
        assert dashboard is not None
        form = await fill_form(app, pilot, plain)
        line = form.query_one("#worktree-error", Static)
        await wait_for(pilot, lambda: bool(line.display), "the worktree's problem")
        assert f"{plain} is not in a git repository" in str(line.render())
        assert isinstance(app.screen, NewSessionScreen) and not app.running_here()
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is dashboard, "the dashboard")
        # The finished session of the history works in place: W says so, no modal.
        assert dashboard.selected_session is not None
        await pilot.press("W")
        await wait_for(pilot, lambda: bool(notes), "a notification")
        assert notes[-1] == "This session works in place: it has no worktree."
        assert isinstance(app.screen, DashboardScreen)
    assert not (tmp_path / WORKTREES_DIR).exists()
