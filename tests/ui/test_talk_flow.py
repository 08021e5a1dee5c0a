"""``m``: a message to the selected session's agent, typed in a modal, recorded and shown as
queued on the agent's panel (on a real database with the demo's agents)."""

from __future__ import annotations

from pathlib import Path

from app.console import QuarterdeckApp
from screens.message import MessageScreen
from sessions.store.engine import open_engine
from sessions.store.reading import load_session
from tests.ui.test_flows import running_console, wait_for


def _sent(app: QuarterdeckApp, sid: str) -> list[dict[str, object]]:
    engine = open_engine(app.boot.db, create=False)
    try:
        return [r.payload for r in load_session(engine, sid) if r.kind == "human.message"]
    finally:
        engine.dispose()


def _queued(app: QuarterdeckApp, sid: str) -> list[str]:
    session = app.model.view.session(sid)
    return [m.text for a in session.agents for m in a.queued] if session else []


async def test_m_sends_a_message_that_shows_as_queued(tmp_path: Path) -> None:
    async with running_console(tmp_path) as (app, pilot, _):
        sid = app.started[0]
        turn = app.opened.runtime.orchestrator.runners[sid].turn_role  # type: ignore[union-attr]
        assert turn is not None  # waiting for an approval: mid-turn
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, MessageScreen), "the message box")
        await pilot.press("escape")  # cancelled: nothing sent
        await wait_for(pilot, lambda: not isinstance(app.screen, MessageScreen), "closed")
        assert _sent(app, sid) == []

        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, MessageScreen), "the message box")
        screen = app.screen
        assert isinstance(screen, MessageScreen)
        assert screen.title_text == f"Message to the {turn}"
        await pilot.press("enter")  # empty: refused, the box stays
        await pilot.pause()
        assert app.screen is screen
        await pilot.press(*"use tabs", "enter")
        await wait_for(pilot, lambda: _queued(app, sid) == ["use tabs"], "the queued message")
        [sent] = _sent(app, sid)
        assert (sent["text"], sent["role"], sent["agent_id"]) == ("use tabs", turn, f"{turn}-1")
        told = [n.message for n in app._notifications]
        assert f"queued: the {turn} is in a turn and hears this when it ends" in told
