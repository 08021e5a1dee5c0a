"""Opening a database with history: the sessions list is painted from the projections and keys
answer before any session is folded; a session is folded (on a thread) only when shown; and
what another process writes still reaches the list, folded sessions or not."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pytest
from textual.widgets import Static

from app.console import QuarterdeckApp
from app.log_sources import DatabaseSource
from app.wiring.console_boot import Boot
from screens.help import HelpScreen
from screens.widgets.agent_panel import AgentPanel
from screens.widgets.session_list import SessionList
from sessions import schema as ev
from sessions.lifecycle import SessionState
from sessions.readmodel.reducer import fold
from sessions.readmodel.timeline import timeline_entry
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore
from sessions.store.reading import iter_log
from sessions.store.record import Record
from tests.ui.test_flows import wait_for

OLD, NEW = "5e551011-0000-4000-8000-0000000000aa", "5e551022-0000-4000-8000-0000000000bb"


def _history(db: Path) -> None:
    """Two running sessions with an agent each; the newer one is shown first."""
    with EventStore(open_engine(db)) as store:
        for sid, title in ((OLD, "older work"), (NEW, "newer work")):
            store.append(sid, "orchestrator", ev.SessionCreated(title=title, workspace="/w"))
            running = ev.SessionStateChanged(from_state="created", to_state="running")
            store.append(sid, "orchestrator", running)
            agent = f"implementer-{sid[-2:]}"
            started = ev.AgentStarted(agent_id=agent, role="implementer", backend="demo")
            store.append(sid, "orchestrator", started)
            for i in range(30):
                store.append(sid, agent, ev.AgentThought(agent_id=agent, text=f"step {i}"))


class Gate:
    """Holds every session's fold at its first chunk until opened; notes what was folded."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.opened = threading.Event()
        self.asked: list[str] = []
        chunks = DatabaseSource.session_chunks

        def held(source: DatabaseSource, session_id: str) -> Iterable[Sequence[Record]]:
            self.asked.append(session_id)
            return self._held(chunks(source, session_id))

        monkeypatch.setattr(DatabaseSource, "session_chunks", held)

    def _held(self, chunks: Iterable[Sequence[Record]]) -> Iterator[Sequence[Record]]:
        assert self.opened.wait(60), "the test never opened the gate"
        yield from chunks


def _hint(app: QuarterdeckApp) -> str:
    return str(app.screen.query_one(".agents-empty", Static).render())


def _listed(app: QuarterdeckApp) -> list[str]:
    sessions = app.screen.query_one(SessionList)
    return [str(sessions.get_option_at_index(i).prompt) for i in range(sessions.option_count)]


async def test_the_list_is_painted_and_keys_answer_before_the_shown_session_is_folded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "q.db"
    await asyncio.to_thread(_history, db)
    gate = Gate(monkeypatch)
    app = QuarterdeckApp(Boot(db=str(db)), tick_s=None)
    async with app.run_test(size=(120, 40)) as pilot:
        dashboard = app.dashboard
        assert dashboard is not None
        await wait_for(pilot, lambda: len(_listed(app)) == 2, "the sessions list")
        assert any("newer work" in row for row in _listed(app))
        await wait_for(pilot, lambda: gate.asked == [NEW], "the shown session's fold")
        assert dashboard.folding and app.model.folding(NEW) == "loading"
        assert "Loading this session" in _hint(app)
        assert not dashboard.query(AgentPanel)
        await pilot.press("question_mark")  # a key answers while the fold waits
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
        await pilot.press("escape")
        gate.opened.set()
        await wait_for(pilot, lambda: not dashboard.folding, "the fold")
        await wait_for(pilot, lambda: bool(dashboard.query(AgentPanel)), "the agent's panel")
        records = await asyncio.to_thread(lambda: list(iter_log(app.bridge.source.engine)))  # type: ignore[union-attr]
        assert app.model.view.session(NEW) == fold(records).session(NEW)
        rows = [e for r in records if r.session_id == NEW and (e := timeline_entry(r))]
        assert list(app.model.timeline(NEW)) == rows
        await pilot.press("ctrl+q")
        await asyncio.wait_for(app.closed.wait(), 60)


async def test_a_session_is_folded_only_when_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "q.db"
    await asyncio.to_thread(_history, db)
    gate = Gate(monkeypatch)
    gate.opened.set()
    app = QuarterdeckApp(Boot(db=str(db)), tick_s=None)
    async with app.run_test(size=(120, 40)) as pilot:
        dashboard = app.dashboard
        assert dashboard is not None
        await wait_for(pilot, lambda: len(_listed(app)) == 2, "the sessions list")
        await wait_for(pilot, lambda: app.model.folding(NEW) == "folded", "the shown session")
        assert gate.asked == [NEW] and app.model.folding(OLD) == "outline"
        app.screen.query_one(SessionList).focus()
        await pilot.press("k")  # up to the older session: shown, so folded
        await wait_for(pilot, lambda: app.model.folding(OLD) == "folded", "the older session")
        assert gate.asked == [NEW, OLD]
        await pilot.press("j")  # back: folded already, not read again
        await pilot.pause()
        assert gate.asked == [NEW, OLD] and not dashboard.folding
        await pilot.press("ctrl+q")
        await asyncio.wait_for(app.closed.wait(), 60)


async def test_what_another_process_writes_reaches_outlines_and_new_sessions(
    tmp_path: Path,
) -> None:
    db = tmp_path / "q.db"
    await asyncio.to_thread(_history, db)
    app = QuarterdeckApp(Boot(db=str(db)), tick_s=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.bridge is not None and app.bridge.loaded.is_set(), "live")
        assert app.model.folding(OLD) == "outline"
        other = await asyncio.to_thread(lambda: EventStore(open_engine(db, create=False)))
        try:
            paused = ev.SessionStateChanged(from_state="running", to_state="paused")
            await asyncio.to_thread(other.append_sync, OLD, "orchestrator", paused)
            created = ev.SessionCreated(title="started elsewhere")
            await asyncio.to_thread(other.append_sync, "elsewhere-1", "orchestrator", created)
        finally:
            await asyncio.to_thread(other.close)

        def state(sid: str) -> SessionState | None:
            session = app.model.view.session(sid)
            return session.state if session is not None else None

        await wait_for(pilot, lambda: state(OLD) is SessionState.PAUSED, "the outline's change")
        await wait_for(pilot, lambda: state("elsewhere-1") is not None, "the new session")
        await wait_for(pilot, lambda: len(_listed(app)) == 3, "the list")
        assert any("started elsewhere" in row for row in _listed(app))
        assert app.model.folding("elsewhere-1") == "folded"  # all its records came live
        await pilot.press("ctrl+q")
        await asyncio.wait_for(app.closed.wait(), 60)
