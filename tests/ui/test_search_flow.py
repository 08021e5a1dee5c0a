"""``ctrl+f`` on a real database: type, results appear, ``enter`` opens the replay at the result."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.pilot import Pilot

from app.console import QuarterdeckApp
from app.wiring.console_boot import Boot
from screens.replay import ReplayScreen
from screens.search import SearchScreen
from screens.widgets.search_results import SearchResults
from sessions.schema import AgentMessage, SessionCreated, ToolCallRequested
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore
from sessions.store.transfer import import_session
from tests.ui.test_flows import wait_for

FIXTURE = Path(__file__).parents[1] / "fixtures" / "session-basic.jsonl"


def _history(db: Path) -> tuple[str, int]:
    """The fixture session, and one more whose agent ran ``make deploy-staging`` mid-way
    (with a message streamed in chunks after it); returns that session and the command's seq."""
    with EventStore(open_engine(db)) as store:
        import_session(store, FIXTURE)
        store.append_sync("s-deploy", "orchestrator", SessionCreated(title="Ship the release"))
        store.append_sync("s-deploy", "impl-1", AgentMessage(agent_id="impl-1", text="Deploying"))
        request = ToolCallRequested(
            agent_id="impl-1", call_id="c9", tool="execute", command="make deploy-staging"
        )
        command = store.append_sync("s-deploy", "impl-1", request)
        for piece in ("Staging is", " up; production ", "next."):
            store.append_sync("s-deploy", "impl-1", AgentMessage(agent_id="impl-1", text=piece))
        return "s-deploy", command.seq


async def _results(pilot: Pilot[int]) -> SearchScreen:
    await wait_for(
        pilot,
        lambda: isinstance(pilot.app.screen, SearchScreen) and bool(pilot.app.screen.hits),
        "search results",
    )
    screen = pilot.app.screen
    assert isinstance(screen, SearchScreen)
    return screen


async def test_a_past_command_is_found_and_opens_the_replay_at_it(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    session_id, seq = await asyncio.to_thread(_history, db)
    app = QuarterdeckApp(Boot(db=str(db)), tick_s=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.bridge is not None and app.bridge.loaded.is_set(), "load")
        await wait_for(pilot, lambda: app.opened is not None, "the runtime")
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen), "the search screen")
        await pilot.press(*"deploy-staging", "enter")
        search = await _results(pilot)
        assert [(h.session_id, h.seq, h.kind) for h in search.hits] == [
            (session_id, seq, "tool.requested")
        ]
        assert search.query_one(SearchResults).has_focus  # j/k and enter act on the results

        await pilot.press("enter")
        opened = lambda: isinstance(app.screen, ReplayScreen) and app.screen.replay is not None  # noqa: E731
        await wait_for(pilot, opened, "the replay")
        replay = app.screen
        assert isinstance(replay, ReplayScreen) and replay.replay is not None
        assert replay.session_id == session_id
        assert replay.replay.records[replay.position - 1].seq == seq  # just after the command

        await pilot.press("escape")  # back to the results, still there
        await wait_for(pilot, lambda: app.screen is search, "the results again")
        await pilot.press("slash")
        assert search.query_one("#search-query").has_focus
        await pilot.press("ctrl+u", *'"up; production"', "enter")  # across chunks
        await wait_for(
            pilot, lambda: [h.kind for h in search.hits] == ["agent.message"], "the message"
        )
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, SearchScreen), "closed")
        await pilot.press("ctrl+f")
        reopened = await _results(pilot)  # the last query, run again
        assert reopened.query_text == '"up; production"'


async def test_a_query_with_no_word_says_so_in_the_screen(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    await asyncio.to_thread(_history, db)
    app = QuarterdeckApp(Boot(db=str(db)), tick_s=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.opened is not None, "the runtime")
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen), "the search screen")
        await pilot.press("minus", "enter")
        status = app.screen.query_one("#search-status")
        await wait_for(pilot, lambda: "nothing to search for" in str(status.render()), "error")
        assert isinstance(app.screen, SearchScreen)
