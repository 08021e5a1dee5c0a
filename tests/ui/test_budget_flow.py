"""A session past its budget waits in the approvals queue: yes lets it spend a budget more,
no stops it, with an ending that says why — all of it in the log, the timeline and the panels.

The team is two demo agents (real ACP processes) whose playbooks report what they cost: the
planner spends $0.60 (past the $0.50 budget, so the implementer's prompt waits), the implementer
$0.60 more before its first tool call (past the raised $1.00, so that call waits too).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agents.demo.workspace import copy_demo_workspace
from agents.team import Backend, RoleConfig, Team, Workflow
from app.console import QuarterdeckApp
from app.wiring.console_boot import Boot, Run
from screens.confirm import ConfirmScreen
from sessions.readmodel.views import SessionView
from sessions.schema.session import SessionState
from tests.ui.test_flows import wait_for

PLANNER = """
name = "planner"
[[steps]]
kind = "usage"
used = 12000
size = 200000
add_cost = 0.60
[[steps]]
kind = "message"
text = "Plan: read the README."
"""

IMPLEMENTER = """
name = "implementer"
[[steps]]
kind = "usage"
used = 30000
size = 200000
add_cost = 0.60
[[steps]]
kind = "read"
path = "README.md"
[[steps]]
kind = "message"
text = "Read it."
"""


def _team(tmp_path: Path) -> Team:
    roles = {}
    for role, script in (("planner", PLANNER), ("implementer", IMPLEMENTER)):
        playbook = tmp_path / f"{role}.toml"
        playbook.write_text(script)
        roles[role] = RoleConfig(backend=Backend.DEMO, playbook=str(playbook), speed=0)
    return Team(
        name="budgeted",
        roles=roles,  # type: ignore[arg-type]
        workflow=Workflow(order=["planner", "implementer"], budget=0.5),
    )


def _session(app: QuarterdeckApp) -> SessionView | None:
    return app.model.view.session(app.started[0]) if app.started else None


def _kinds(app: QuarterdeckApp) -> list[str]:
    return [e.kind for e in app.model.timeline(app.started[0])]


async def _answer_the_budget(app: QuarterdeckApp, pilot: object, key: str, spent: str) -> None:
    """Wait for the budget's question (it says what was spent), then answer it with ``key``."""
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    asked = lambda: any(spent in p.summary for p in app.model.view.pending)  # noqa: E731
    await wait_for(pilot, asked, f"the budget's question ({spent})")
    [pending] = app.model.view.pending
    assert pending.summary.startswith("budget reached: ")
    assert pending.summary.endswith(" — continue?")
    waiting = lambda: (s := _session(app)) is not None and s.state is SessionState.AWAITING_APPROVAL  # noqa: E731
    await wait_for(pilot, waiting, "the session waiting for the answer")
    await pilot.press(key)
    await wait_for(pilot, lambda: not app.model.view.pending, "the answer")


async def _quit(app: QuarterdeckApp, pilot: object) -> None:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    await pilot.press("ctrl+q")
    await pilot.pause()
    if isinstance(app.screen, ConfirmScreen):
        await pilot.press("y")
    await asyncio.wait_for(app.closed.wait(), 60)


async def test_approved_twice_the_session_spends_a_budget_more_each_time(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    copy_demo_workspace(workspace)
    boot = Boot(
        db=str(tmp_path / "q.db"), runs=[Run("Read the README", _team(tmp_path), workspace)]
    )
    app = QuarterdeckApp(boot, tick_s=None)
    async with app.run_test(size=(140, 44)) as pilot:
        # Before the implementer's prompt: the planner spent $0.60 of $0.50.
        await _answer_the_budget(app, pilot, "a", "$0.60 of $0.50")
        # Before its first tool call: $1.20 of the raised $1.00.
        await _answer_the_budget(app, pilot, "a", "$1.20 of $1.00")
        done = lambda: (s := _session(app)) is not None and s.state is SessionState.SUCCEEDED  # noqa: E731
        await wait_for(pilot, done, "the session's success")
        session = _session(app)
        assert session is not None
        assert [(m.currency, round(m.amount, 2)) for m in session.spent] == [("USD", 1.2)]
        implementer = session.agent("implementer-1")
        assert implementer is not None and implementer.context_used == 30000
        kinds = _kinds(app)
        assert kinds.count("budget.reached") == 2 and kinds.count("budget.raised") == 2
        await _quit(app, pilot)


@pytest.mark.parametrize(
    ("approved", "stopped"),
    [
        (0, "$0.60 of $0.50"),  # denied before the implementer's prompt
        (1, "$1.20 of $1.00"),  # denied before its tool call
    ],
)
async def test_denied_the_session_stops_saying_why(
    tmp_path: Path, approved: int, stopped: str
) -> None:
    workspace = tmp_path / "ws"
    copy_demo_workspace(workspace)
    boot = Boot(
        db=str(tmp_path / "q.db"), runs=[Run("Read the README", _team(tmp_path), workspace)]
    )
    app = QuarterdeckApp(boot, tick_s=None)
    async with app.run_test(size=(140, 44)) as pilot:
        if approved:
            await _answer_the_budget(app, pilot, "a", "$0.60 of $0.50")
        await _answer_the_budget(app, pilot, "d", stopped)
        ended = lambda: (s := _session(app)) is not None and s.finished_outcome is not None  # noqa: E731
        await wait_for(pilot, ended, "the session's end")
        session = _session(app)
        assert session is not None and session.finished_outcome is SessionState.CANCELLED
        finished = [e for e in app.model.timeline(app.started[0]) if e.kind == "session.finished"]
        assert [e.summary for e in finished] == [
            f"finished: cancelled — stopped: budget reached: {stopped}"
        ]
        assert (workspace / "README.md").read_text() != ""  # nothing was written anyway
        kinds = _kinds(app)
        assert kinds.count("budget.reached") == approved + 1
        assert kinds.count("budget.raised") == approved
        assert "tool.intent" not in kinds  # the refused call never ran
        await _quit(app, pilot)
