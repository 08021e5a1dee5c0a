"""The UI loop only draws: no flow of the console runs a database statement on the loop's thread.

The console runs on a real database with a history, real demo agents, a policy file with a
standing grant, and a second store on the same file — another process, as far as the console
can tell: its records arrive once the bridge's probe sees the file change, or by filling a gap
in ``seq`` before the console's own. The history is painted from the projections, and folded
when shown. Every SQLite connection carries a trace callback (:mod:`tests.ui.loop_guard`); the
test drives the flows a user has (search, a review, a new session and today's spend too), then
asserts that none of their statements ran on the loop's thread. (With the bridge's poll reading
on the loop again, it fails at once.)
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select

from agents.auth.grants import add_grant, narrowed_rule
from agents.auth.requests import Decision, ToolKind, ToolRequest
from agents.demo.workspace import copy_demo_workspace
from agents.team import bundled_team
from app.console import QuarterdeckApp
from app.wiring.console_boot import Boot, Run
from app.wiring.store import policy_file
from screens.approval_details import ApprovalDetailsScreen
from screens.confirm import ConfirmScreen
from screens.message import MessageScreen
from screens.new_session import NewSessionScreen
from screens.replay import ReplayScreen
from screens.review import ReviewScreen
from screens.search import SearchScreen
from screens.widgets.status_bar import StatusBar
from sessions.schema.session import SessionCreated, SessionState
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore
from sessions.store.transfer import import_session
from tests.ui.loop_guard import install
from tests.ui.test_flows import _team, wait_for

FIXTURE = Path(__file__).parents[1] / "fixtures" / "session-basic.jsonl"
GRANT = "grant-test"


def _history(db: Path) -> str:
    """A finished session already in the database: the console loads it at start."""
    with EventStore(open_engine(db)) as store:
        return import_session(store, FIXTURE).session_id


def _grant(workspace: Path) -> None:
    """A standing grant in the user's policy file, for the palette to list and revoke."""
    request = ToolRequest(
        tool=ToolKind.EXECUTE, role="implementer", workspace=workspace, command="cksum notes.txt"
    )
    rule = narrowed_rule(request, Decision.ALLOW, rule_id=GRANT)
    add_grant(
        policy_file(),
        rule,
        rule_id=GRANT,
        session_id="s",
        role="implementer",
        subject="cksum notes.txt",
        request=request,
    )


def _created(title: str) -> tuple[str, str, SessionCreated]:
    return str(uuid.uuid4()), "elsewhere", SessionCreated(title=title)


def _told(notes: list[str]) -> Callable[[], bool]:
    """True once one more notification than now was posted."""
    before = len(notes)
    return lambda: len(notes) > before


async def _other_process_commits(app: QuarterdeckApp, pilot: Pilot[int], db: Path) -> None:
    """Records of another store: alone (the poll brings them), then just before one of the
    console's own (the flush reads the gap) — until a gap read was seen."""
    assert app.bridge is not None and app.opened is not None and app.opened.runtime is not None
    bridge, ours = app.bridge, app.opened.runtime.store
    limits: list[int] = []
    read_after = bridge.source.read_after

    def recording(seq: int, limit: int) -> list[object]:
        limits.append(limit)
        return list(read_after(seq, limit))

    bridge.source.read_after = recording  # type: ignore[method-assign, assignment]
    other = await asyncio.to_thread(lambda: EventStore(open_engine(db, create=False)))
    try:
        sid, actor, payload = _created("polled")
        await asyncio.to_thread(other.append_sync, sid, actor, payload)
        await wait_for(pilot, lambda: app.model.view.session(sid) is not None, "the poll")
        for _ in range(20):  # a poll may read the other's record first: then try again
            theirs, ours_ = _created("gap"), _created("ours")
            await asyncio.to_thread(other.append_sync, *theirs)
            await asyncio.to_thread(ours.append_sync, *ours_)
            both = lambda: all(app.model.view.session(s[0]) for s in (theirs, ours_))  # noqa: B023, E731
            await wait_for(pilot, both, "the gap and ours")
            if any(limit < bridge.max_per_flush for limit in limits):
                break
        else:
            raise AssertionError("no gap was ever read")
    finally:
        await asyncio.to_thread(other.close)


async def test_no_flow_touches_the_database_on_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "q.db"
    workspace = tmp_path / "ws"
    copy_demo_workspace(workspace)
    second = tmp_path / "ws2"
    copy_demo_workspace(second)
    imported = await asyncio.to_thread(_history, db)
    await asyncio.to_thread(_grant, workspace)
    guard = install(monkeypatch)
    boot = Boot(db=str(db), runs=[Run("Fix the failing test", _team(), workspace)])
    app = QuarterdeckApp(boot, tick_s=None)
    notes: list[str] = []

    def hook(message: Message) -> None:
        if isinstance(message, Notify):
            notes.append(message.notification.message)

    async with app.run_test(size=(140, 44), message_hook=hook) as pilot:
        await wait_for(pilot, lambda: bool(app.model.view.pending), "an approval")
        assert app.model.view.session(imported) is not None  # painted from the projections
        await _other_process_commits(app, pilot, db)
        dashboard = app.dashboard
        assert dashboard is not None
        dashboard.show_session(imported)  # shown: its records are read and folded on a thread
        folded = lambda: app.model.folding(imported) == "folded"  # noqa: E731
        await wait_for(pilot, folded, "the history folded")
        sid = app.started[0]
        dashboard.show_session(sid)
        # Today's spend (the demo agents report costs): summed from the store's projection.
        spend = dashboard.query_one(StatusBar)
        await wait_for(pilot, lambda: bool(spend.day_spend), "today's spend")

        def pending() -> set[str]:
            return {p.approval_id for p in app.model.view.pending}

        # The approvals queue: the rule an "always" would add (or why none), details, an answer.
        first = app.model.view.pending[0].approval_id
        told = _told(notes)
        await pilot.press("A")
        shown = lambda: isinstance(app.screen, ConfirmScreen)  # noqa: E731
        await wait_for(pilot, lambda: shown() or told(), "the proposed rule")
        if shown():
            await pilot.press("n")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalDetailsScreen), "details")
        await pilot.press("a")
        await wait_for(pilot, lambda: first not in pending(), "the answer")

        # Session actions: pause, the rollback plan (or why none), resume.
        def state() -> SessionState | None:
            session = app.model.view.session(sid)
            return session.state if session is not None else None

        await pilot.press("p")
        await wait_for(pilot, lambda: state() is SessionState.PAUSED, "paused")
        await pilot.press("m")  # a message to its agent: held while the session is paused
        await wait_for(pilot, lambda: isinstance(app.screen, MessageScreen), "the message box")
        await pilot.press(*"hello", "enter")
        await wait_for(pilot, lambda: any("hears this" in n for n in notes), "the message sent")
        told = _told(notes)
        await pilot.press("b")
        await wait_for(pilot, lambda: shown() or told(), "the rollback plan")
        if shown():
            await pilot.press("n")
        await pilot.press("p")
        await wait_for(pilot, lambda: state() is not SessionState.PAUSED, "resumed")

        # What each tick does: leases read on a thread, then what is due told from the view.
        app.check_interrupted()
        await pilot.pause()

        # The palette: the policy reloaded, the standing grant listed and revoked.
        for command, result in (
            ("Reload the policy", "policy reloaded"),
            (f"Revoke grant: {GRANT}", f"revoked {GRANT}"),
        ):
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*command, "enter")
            await wait_for(pilot, lambda r=result: r in notes, result)

        # A replay, read from the database.
        await pilot.press("r")
        replaying = lambda: isinstance(app.screen, ReplayScreen) and app.screen.replay is not None  # noqa: E731
        await wait_for(pilot, replaying, "the replay")
        await pilot.press("escape")

        # Cancel the session; search; quit.
        told = _told(notes)
        await pilot.press("c")  # the demo may have finished by now: then it says so
        await wait_for(pilot, lambda: shown() or told(), "the confirmation")
        if shown():
            await pilot.press("y")
        await wait_for(pilot, lambda: sid not in app.running_here(), "the cancel")
        await pilot.press("W")  # its worktree: the log is read on a thread (it has none)
        await wait_for(pilot, lambda: any("works in place" in n for n in notes), "no worktree")

        # A review of the ended session: the diff read on a thread, a comment, the other base,
        # and a request for changes, which starts a follow-up session here.
        await pilot.press("v")
        reviewing = lambda: isinstance(app.screen, ReviewScreen) and app.screen.shown is not None  # noqa: E731
        await wait_for(pilot, reviewing, "the review")
        told = _told(notes)
        await pilot.press("b")  # a known-good checkpoint or none: either way, read off the loop
        review = lambda: app.screen if isinstance(app.screen, ReviewScreen) else None  # noqa: E731
        toggled = lambda: (r := review()) is not None and r.draft.base == "known_good"  # noqa: E731
        await wait_for(pilot, lambda: told() or toggled(), "the other base")
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, MessageScreen), "the comment box")
        await pilot.press(*"why", "enter")
        await wait_for(pilot, reviewing, "back to the review")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, MessageScreen), "the request")
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("follow-up" in n for n in notes), "the follow-up")
        await wait_for(pilot, lambda: app.screen is dashboard, "the dashboard")

        # Search (the index caught up and queried on a worker), a result opened in replay.
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen), "the search screen")
        await pilot.press(*"pytest", "enter")
        found = lambda: isinstance(app.screen, SearchScreen) and bool(app.screen.hits)  # noqa: E731
        await wait_for(pilot, found, "search results")
        await pilot.press("enter")
        await wait_for(pilot, replaying, "the replay of a result")
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: app.screen is dashboard, "the dashboard")

        # A new session from the form: team files found and the form checked on threads.
        await pilot.press("n")
        form = lambda: app.screen if isinstance(app.screen, NewSessionScreen) else None  # noqa: E731
        await wait_for(pilot, lambda: (f := form()) is not None and bool(f.teams), "the form")
        await pilot.press("ctrl+s")  # no task yet: refused, under its field
        await wait_for(pilot, lambda: (f := form()) is not None and bool(f.problems), "a problem")
        await pilot.press(*"Fix it again")
        before = set(app.running_here())  # the follow-up runs too
        screen = form()
        assert screen is not None
        screen.query_one("#workspace", Input).value = str(second)
        screen.query_one("#team", Select).value = str(bundled_team("demo-team.toml"))
        screen.query_one("#worktree", Checkbox).value = True  # in a git worktree of its own
        await pilot.press("ctrl+s")
        new = lambda: [s for s in app.running_here() if s not in before | {sid}]  # noqa: E731
        await wait_for(pilot, lambda: bool(new()), "the new session")
        chosen = lambda: dashboard.selected_session  # noqa: E731
        await wait_for(pilot, lambda: (c := chosen()) is not None and [c.session_id] == new(), "it")
        await pilot.press("W")  # its worktree, read from the log and git on threads
        ended_first = lambda: any("ended once it has ended" in n for n in notes)  # noqa: E731
        await wait_for(pilot, ended_first, "its worktree's state")
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "quit, asked")
        await pilot.press("y")
        await asyncio.wait_for(app.closed.wait(), 60)  # no pilot: the app is exiting
    assert guard.statements > 0  # the guard saw the console's reads (off the loop)
    assert not guard.hits, "database statements on the loop:\n" + guard.report()
