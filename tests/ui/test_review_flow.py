"""``v``: review a session's changes on a real database, real shadow-git checkpoints and a real
agent (the lifecycle test agent, which writes down every prompt it hears): comments on hunks
go back to the implementer as its next attempt's feedback, accept ends a human review, and a
session that already ended gets a follow-up session that hears the comments."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from agents.team import Team
from app.console import QuarterdeckApp
from app.wiring.console_boot import Boot, Run
from screens.confirm import ConfirmScreen
from screens.message import MessageScreen
from screens.review import ReviewScreen
from sessions.schema.session import SessionState
from sessions.store.engine import open_engine
from sessions.store.reading import load_session
from sessions.store.record import Record
from tests.integration.lifecycle_support import agent_role, marker_lines
from tests.ui.test_flows import wait_for

LONG = "".join(f"line {i}\n" for i in range(1, 41))


def _heard(marker: Path) -> list[str]:
    return [json.loads(line[6:]) for line in marker_lines(marker) if line.startswith("heard ")]


def _team(marker: Path, *, human_review: bool) -> Team:
    roles: dict[str, Any] = {"implementer": agent_role("talk", marker)}
    order = ["implementer"]
    if human_review:
        roles["reviewer"] = {"backend": "human"}
        order.append("reviewer")
    return Team.model_validate({"name": "review", "roles": roles, "workflow": {"order": order}})


def _records(app: QuarterdeckApp, sid: str, kind: str) -> list[Record]:
    engine = open_engine(app.boot.db, create=False)
    try:
        return [r for r in load_session(engine, sid) if r.kind == kind]
    finally:
        engine.dispose()


def _review(app: QuarterdeckApp) -> ReviewScreen | None:
    screen = app.screen
    return screen if isinstance(screen, ReviewScreen) and screen.shown is not None else None


def _told(app: QuarterdeckApp, words: str) -> bool:
    return any(words in n.message for n in app._notifications)


def _state(app: QuarterdeckApp, sid: str) -> SessionState | None:
    session = app.model.view.session(sid)
    return session.state if session is not None else None


@asynccontextmanager
async def _console(tmp_path: Path, team: Team) -> AsyncIterator[tuple[QuarterdeckApp, Pilot[int]]]:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "notes.txt").write_text("notes\n")
    (workspace / "long.txt").write_text(LONG)
    boot = Boot(db=str(tmp_path / "q.db"), runs=[Run("write the notes", team, workspace)])
    app = QuarterdeckApp(boot, tick_s=None)
    async with app.run_test(size=(140, 44)) as pilot:
        yield app, pilot
        if app.is_running:
            await pilot.press("ctrl+q")
            await pilot.pause()
            if isinstance(app.screen, ConfirmScreen):
                await pilot.press("y")
            await asyncio.wait_for(app.closed.wait(), 60)  # no pilot: the app is exiting


async def _open_review(app: QuarterdeckApp, pilot: Pilot[int]) -> ReviewScreen:
    await pilot.press("v")
    await wait_for(pilot, lambda: _review(app) is not None, "the review screen")
    screen = _review(app)
    assert screen is not None
    return screen


async def _answer(pilot: Pilot[int], app: QuarterdeckApp, *keys: str) -> None:
    """Type into the message box that opens, and send it."""
    await wait_for(pilot, lambda: isinstance(app.screen, MessageScreen), "the message box")
    await pilot.press(*keys, "enter")


def _edit_workspace(workspace: Path) -> None:
    """What the implementer might have done: two hunks in one file, one edit in another, a new
    file."""
    lines = LONG.splitlines(keepends=True)
    lines[1], lines[34] = "line two, edited\n", "line 35, edited\n"
    (workspace / "long.txt").write_text("".join(lines))
    (workspace / "notes.txt").write_text("notes, longer\n")
    (workspace / "new.py").write_text("print('new')\n")


async def test_comments_reach_the_implementer_and_accept_ends_the_human_review(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "implementer"
    async with _console(tmp_path, _team(marker, human_review=True)) as (app, pilot):
        await wait_for(pilot, lambda: bool(app.started), "the session")
        sid = app.started[0]
        await wait_for(pilot, lambda: bool(app.model.view.pending), "the implementer's ask")

        # Still working, no review asked: request changes is refused, the draft kept.
        screen = await _open_review(app, pilot)
        assert screen.shown is not None and screen.shown.changes.files == ()
        await pilot.press("r")
        await _answer(pilot, app, *"too soon")
        await wait_for(pilot, lambda: _told(app, "asks for no review now"), "the refusal")
        assert app.screen is screen and screen.draft.summary == "too soon"
        await pilot.press("b")  # no validator, so no known-good checkpoint: the view stays
        await wait_for(pilot, lambda: _told(app, "no known-good checkpoint"), "why not")
        assert screen.draft.base == "first"
        await pilot.press("escape")

        await pilot.press("a")  # the implementer's ask; its turn ends, the review is asked
        review = lambda: [p for p in app.model.view.pending if p.agent_id == "reviewer"]  # noqa: E731
        await wait_for(pilot, lambda: bool(review()), "the human review")
        _edit_workspace(tmp_path / "ws")

        screen = await _open_review(app, pilot)
        files = screen.shown.changes.files if screen.shown else ()
        assert [(f.path, f.status, len(f.hunks)) for f in files] == [
            ("long.txt", "modified", 2),
            ("new.py", "added", 1),
            ("notes.txt", "modified", 1),
        ]
        assert "waiting on your review" in screen.shown.situation  # type: ignore[union-attr]
        await pilot.press("j")  # the second hunk of long.txt
        assert (screen.stops[screen.at].file, screen.stops[screen.at].hunk) == (0, 1)
        await pilot.press("J", "J", "K")  # notes.txt, then back to new.py
        assert screen.stops[screen.at].file == 1
        await pilot.press("k")  # long.txt's last hunk
        assert (screen.stops[screen.at].file, screen.stops[screen.at].hunk) == (0, 1)
        await pilot.press("c")
        await _answer(pilot, app, *"say why it changed")
        await wait_for(pilot, lambda: bool(screen.query(".comment")), "the comment shown")
        [(key, comment)] = screen.draft.comments.items()
        assert key == ("long.txt", "@@ -32,7 +32,7 @@ line 31")
        assert "+line 35, edited" in comment.lines

        await pilot.press("escape")  # the draft stays for the next v
        screen = await _open_review(app, pilot)
        assert [c.text for c in screen.draft.comments.values()] == ["say why it changed"]
        await pilot.press("r")
        await _answer(pilot, app, *"and keep it short")
        await wait_for(pilot, lambda: len(_heard(marker)) == 2, "the implementer's next turn")

        second = _heard(marker)[1]
        assert "This is attempt 2" in second
        quoted = "- long.txt @@ -32,7 +32,7 @@ line 31\n    | -line 35\n    | +line 35, edited\n"
        assert quoted + "  → say why it changed" in second
        assert "Overall: and keep it short" in second
        [requested] = _records(app, sid, "review.comments")
        assert requested.payload["approval_id"] and requested.payload["summary"] == (
            "and keep it short"
        )
        assert requested.actor.startswith("human:")
        assert not app.dashboard.review_drafts  # type: ignore[union-attr]

        # The second attempt asks for review again: accept ends it, and the session.
        await wait_for(pilot, lambda: bool(review()), "the second review")
        await _open_review(app, pilot)
        await pilot.press("a")
        await _answer(pilot, app)
        await wait_for(pilot, lambda: _state(app, sid) is SessionState.SUCCEEDED, "success")
        [accepted] = _records(app, sid, "review.accepted")
        assert accepted.payload["approval_id"] == review_id(app, sid)


def review_id(app: QuarterdeckApp, sid: str) -> str:
    """The approval id of the session's last human review."""
    asked = [
        r for r in _records(app, sid, "approval.requested") if r.payload["agent_id"] == "reviewer"
    ]
    return str(asked[-1].payload["approval_id"])


async def test_request_changes_after_the_end_starts_a_follow_up_that_hears_them(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "implementer"
    async with _console(tmp_path, _team(marker, human_review=False)) as (app, pilot):
        await wait_for(pilot, lambda: bool(app.model.view.pending), "the implementer's ask")
        sid = app.started[0]
        await pilot.press("a")
        await wait_for(pilot, lambda: _state(app, sid) is SessionState.SUCCEEDED, "its end")
        _edit_workspace(tmp_path / "ws")

        screen = await _open_review(app, pilot)
        assert "follow-up" in screen.shown.situation  # type: ignore[union-attr]
        await pilot.press("J", "c")  # new.py: its one hunk
        await _answer(pilot, app, *"print to stderr")
        await pilot.press("r")
        await _answer(pilot, app)  # no overall comment
        await wait_for(pilot, lambda: bool(_records(app, sid, "review.comments")), "the event")
        [requested] = _records(app, sid, "review.comments")
        follow_up = str(requested.payload["follow_up_session_id"])
        assert follow_up in app.opened.supervisor.running()  # type: ignore[union-attr]
        await wait_for(pilot, lambda: len(_heard(marker)) == 2, "the follow-up's implementer")
        heard = _heard(marker)[1]
        assert "Changes asked for in review of earlier work:" in heard
        assert "- new.py @@ -0,0 +1 @@\n    | +print('new')\n  → print to stderr" in heard
        created = _records(app, follow_up, "session.created")[0].payload
        assert created["title"] == "Changes to: write the notes"
        assert created["workspace"] == str((tmp_path / "ws").resolve())
