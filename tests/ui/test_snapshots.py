"""Snapshots of every console state that matters; ids and times are frozen (``scenes.py``).

Update with ``make snapshot-update`` and review the SVG diffs before committing.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from agents.checkpoints.rollback import CheckpointInfo, RollbackPlan
from screens.confirm import ConfirmScreen
from screens.dashboard import DashboardScreen
from screens.new_session import NewSessionScreen
from screens.review import ReviewScreen
from screens.search import SearchScreen
from screens.session_actions import rollback_text
from screens.widgets.status_bar import StatusBar
from screens.worktree_end import WorktreeEndScreen
from tests.ui.conftest import ready, scene_app
from tests.ui.review_scene import FixedReview, review_draft
from tests.ui.scenes import (
    PROJECT,
    S1,
    S2,
    RefusingEnder,
    SceneLauncher,
    costly,
    drifted,
    needs_login,
    talked_to,
    working,
    worktree_status,
)

SnapCompare = Any


def test_dashboard_with_three_agents_working(snap_compare: SnapCompare) -> None:
    assert snap_compare(scene_app(working()), run_before=ready, terminal_size=(120, 40))


def test_an_agent_that_needs_a_login_says_which_and_how_in_full(snap_compare: SnapCompare) -> None:
    assert snap_compare(scene_app(needs_login()), run_before=ready, terminal_size=(120, 40))


def test_empty_console(snap_compare: SnapCompare) -> None:
    assert snap_compare(scene_app([]), run_before=ready, terminal_size=(120, 40))


def test_approval_details_with_a_diff(snap_compare: SnapCompare) -> None:
    async def open_details(pilot: Pilot[int]) -> None:
        await ready(pilot)
        await pilot.press("enter")
        await ready(pilot)

    assert snap_compare(scene_app(working()), run_before=open_details, terminal_size=(120, 40))


def test_rejected_policy_banner(snap_compare: SnapCompare) -> None:
    app = scene_app(working(rejected=True))
    assert snap_compare(app, run_before=ready, terminal_size=(120, 40))


def test_replay_at_an_event(snap_compare: SnapCompare) -> None:
    async def to_approval(pilot: Pilot[int]) -> None:
        await ready(pilot)
        await pilot.press("a")  # next approval
        await ready(pilot)

    app = scene_app(working(), replay=S1)
    assert snap_compare(app, run_before=to_approval, terminal_size=(120, 40))


def test_help(snap_compare: SnapCompare) -> None:
    async def help_open(pilot: Pilot[int]) -> None:
        await ready(pilot)
        await pilot.press("question_mark")
        await ready(pilot)

    assert snap_compare(scene_app(working()), run_before=help_open, terminal_size=(120, 40))


def test_dashboard_at_80x24(snap_compare: SnapCompare) -> None:
    assert snap_compare(scene_app(working()), run_before=ready, terminal_size=(80, 24))


def test_dashboard_at_200x50(snap_compare: SnapCompare) -> None:
    assert snap_compare(scene_app(working()), run_before=ready, terminal_size=(200, 50))


def test_interrupted_session_is_marked(snap_compare: SnapCompare) -> None:
    async def mark(pilot: Pilot[int]) -> None:
        await ready(pilot)
        dashboard = pilot.app.screen
        assert isinstance(dashboard, DashboardScreen)
        dashboard.show_interrupted(frozenset({S1}))
        await ready(pilot)

    assert snap_compare(scene_app(working()), run_before=mark, terminal_size=(120, 40))


def test_rollback_confirmation_lists_the_changes(snap_compare: SnapCompare) -> None:
    async def ask(pilot: Pilot[int]) -> None:
        await ready(pilot)
        dashboard = pilot.app.screen
        assert isinstance(dashboard, DashboardScreen)
        session = dashboard.model.view.session(S1)
        assert session is not None
        good = CheckpointInfo(
            seq=27,
            checkpoint_id="c0ffee" * 7,
            at_seq=24,
            known_good=True,
            label="validator pass, attempt 1",
        )
        plan = RollbackPlan(
            target=good,
            modified=["calc/stats.py"],
            recreated=["tests/test_calc.py"],
            deleted=["calc/tmp_debug.py"],
            kept=["notes.txt"],
        )
        text = rollback_text(session, plan)
        pilot.app.push_screen(ConfirmScreen("Roll back this session?", text, yes="Roll back"))
        await ready(pilot)

    assert snap_compare(scene_app(working()), run_before=ask, terminal_size=(120, 40))


def test_an_agent_with_drift_is_marked(snap_compare: SnapCompare) -> None:
    assert snap_compare(scene_app(drifted()), run_before=ready, terminal_size=(120, 40))


def test_an_agent_with_queued_messages(snap_compare: SnapCompare) -> None:
    assert snap_compare(scene_app(talked_to()), run_before=ready, terminal_size=(120, 40))


def test_search_results(snap_compare: SnapCompare) -> None:
    async def search_for_fix(pilot: Pilot[int]) -> None:
        await ready(pilot)
        await pilot.press("ctrl+f")
        await pilot.press(*"fix*", "enter")
        for _ in range(500):  # bounded: the worker's results, then their frame
            screen = pilot.app.screen
            if isinstance(screen, SearchScreen) and screen.hits:
                break
            await pilot.pause(0.01)
        else:
            raise AssertionError("no search results")
        await ready(pilot)

    assert snap_compare(scene_app(working()), run_before=search_for_fix, terminal_size=(120, 40))


def test_new_session_form_shows_each_problem_under_its_field(snap_compare: SnapCompare) -> None:
    async def start_nothing(pilot: Pilot[int]) -> None:
        await ready(pilot)
        form = NewSessionScreen(SceneLauncher(), workspace=PROJECT, policy="/home/you/policy.toml")
        pilot.app.push_screen(form)
        for _ in range(500):  # bounded: the team files (a worker), then the refusal (another)
            await pilot.pause(0.01)
            if form.teams:
                break
        await pilot.press("ctrl+s")
        for _ in range(500):
            await pilot.pause(0.01)
            if form.problems:
                break
        else:
            raise AssertionError("the form showed no problems")
        await ready(pilot)

    assert snap_compare(scene_app(working()), run_before=start_nothing, terminal_size=(120, 40))


def test_agents_panels_and_the_status_bar_show_usage(snap_compare: SnapCompare) -> None:
    """Context and cost on each panel; the session row's cost; the session's and today's
    totals in the status bar (today: both sessions, dollars and euros never added)."""

    async def loaded(pilot: Pilot[int]) -> None:
        await ready(pilot)
        bar = pilot.app.screen.query_one(StatusBar)
        for _ in range(3000):  # bounded: today's spend is read on a worker (slow when busy)
            if bar.day_spend:
                break
            await pilot.pause(0.01)
        else:
            raise AssertionError("today's spend was never shown")
        await ready(pilot)

    assert snap_compare(scene_app(costly()), run_before=loaded, terminal_size=(120, 40))


def test_a_finished_session_row_shows_its_cost_in_each_currency(snap_compare: SnapCompare) -> None:
    async def select_finished(pilot: Pilot[int]) -> None:
        await ready(pilot)
        dashboard = pilot.app.screen
        assert isinstance(dashboard, DashboardScreen)
        dashboard.show_session(S2)
        await ready(pilot)

    app = scene_app(costly())
    assert snap_compare(app, run_before=select_finished, terminal_size=(120, 40))


def test_review_a_file_with_hunks_and_a_comment(snap_compare: SnapCompare) -> None:
    async def review(pilot: Pilot[int]) -> None:
        await ready(pilot)
        screen = ReviewScreen(FixedReview(), review_draft(), session_id=S1, title="Fix the test")
        pilot.app.push_screen(screen)
        for _ in range(500):  # bounded: the worker's diff, then its frame
            if screen.shown is not None and screen.query(".hunk"):
                break
            await pilot.pause(0.01)
        else:
            raise AssertionError("the review never showed its diff")
        await pilot.press("j")  # the second hunk is the current one
        await ready(pilot)

    assert snap_compare(scene_app(working()), run_before=review, terminal_size=(120, 40))


def test_worktree_end_with_a_refused_merge_shown_inline(snap_compare: SnapCompare) -> None:
    async def refuse(pilot: Pilot[int]) -> None:
        await ready(pilot)
        modal = WorktreeEndScreen(RefusingEnder(), worktree_status(), title="Add a --json flag")
        pilot.app.push_screen(modal)
        await pilot.pause()
        await pilot.press("m")
        for _ in range(500):  # bounded: the refusal comes from a worker
            await pilot.pause(0.01)
            if modal.error:
                break
        else:
            raise AssertionError("the modal showed no refusal")
        await ready(pilot)

    assert snap_compare(scene_app(working()), run_before=refuse, terminal_size=(120, 40))
