"""In-process parts of ``bench/console.py``: keypress latency under load, and replay.

Both run the real :class:`~app.console.QuarterdeckApp` under Textual's ``run_test`` with
:class:`~bench._console_rig.FrameDriver`, so a figure ends when the frame showing the result
has been rendered to escape sequences, as a terminal would receive it.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from app.console import QuarterdeckApp
from app.wiring.console_boot import Boot
from bench._console_rig import CursorProbe, FrameDriver, agent_event, press
from screens.dashboard import DashboardScreen
from screens.replay import ReplayScreen
from screens.widgets.timeline import SessionTimeline
from sessions.readmodel.replay import ReplayData
from sessions.store.event_store import EventStore
from sessions.store.snapshot_rows import TABLE

SIZE = (120, 40)
KEY_TIMEOUT_S = 5.0


def console_app(boot: Boot) -> QuarterdeckApp:
    """The console, drawing through :class:`FrameDriver`."""
    app = QuarterdeckApp(boot)
    app.driver_class = FrameDriver
    return app


async def loaded(app: QuarterdeckApp) -> None:
    """Wait until live updates flow and the shown session is folded and drawn."""
    while app.bridge is None:
        await asyncio.sleep(0.005)
    await app.bridge.loaded.wait()
    while (dashboard := app.dashboard) is not None and dashboard.folding:
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.2)


class Load:
    """Agents appending through the console's own store from a thread, at a steady rate each:
    the store's subscribers (the bridge) get the commits as in a console running sessions."""

    def __init__(self, store: EventStore, members: dict[str, list[str]], rate: float) -> None:
        self.store = store
        self.pairs = [(sid, agent) for sid, agents in members.items() for agent in agents]
        self.rate = rate
        self.sent = 0
        self.elapsed = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-load", daemon=True)

    def _run(self) -> None:
        tick = 0.01  # every 10 ms each agent appends what it owes since the start
        start = time.perf_counter()
        i = 0
        while not self._stop.is_set():
            due = int((time.perf_counter() - start) * self.rate)
            while i < due:
                for sid, agent in self.pairs:
                    self.store.append(sid, agent, agent_event(agent, 1_000_000 + i))
                    self.sent += 1
                i += 1
            self._stop.wait(tick)
        self.elapsed = time.perf_counter() - start

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def per_agent_per_s(self) -> float:
        """The rate reached, per agent."""
        return self.sent / max(self.elapsed, 1e-9) / max(1, len(self.pairs))


async def _presses(app: QuarterdeckApp, probe: CursorProbe, seconds: float) -> list[float]:
    """Keypresses alternating ``k``/``j`` for ``seconds`` at a human's pace; each the time from
    sending the key to the first frame that shows the cursor where the key moved it (s)."""
    timeline = probe.timeline
    rng = random.Random(7)
    out: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        key = "k" if len(out) % 2 == 0 else "j"
        shown = probe.expect(timeline.cursor - 1 if key == "k" else timeline.cursor + 1)
        sent = time.perf_counter()
        press(app, key)
        out.append(await asyncio.wait_for(shown, KEY_TIMEOUT_S) - sent)
        await asyncio.sleep(rng.uniform(0.02, 0.06))  # never in step with the frames
    return out


@dataclass(frozen=True)
class KeyFigures:
    """Keypress latencies (s) without and with load, and the load reached."""

    idle: list[float]
    loaded: list[float]
    per_agent_per_s: float
    events: int


async def keypress_latency(
    db: Path, members: dict[str, list[str]], *, rate: float, seconds: float
) -> KeyFigures:
    """Focus the selected session's timeline, then time ``j``/``k`` for ``seconds`` idle, then
    for ``seconds`` under load (after a second for the load to build up)."""
    app = console_app(Boot(db=str(db)))
    async with app.run_test(size=SIZE, headless=False):
        await loaded(app)
        assert app.opened is not None and app.opened.runtime is not None
        store = app.opened.runtime.store
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        timeline = screen.query_one(SessionTimeline)
        timeline.focus()
        probe = CursorProbe(timeline)
        await asyncio.sleep(0.1)
        await _presses(app, probe, 0.3)  # leave follow mode, warm the paths
        idle = await _presses(app, probe, seconds)
        with Load(store, members, rate) as load:
            await asyncio.sleep(1.0)
            busy = await _presses(app, probe, seconds)
        await app.shutdown()
        app.exit()
    FrameDriver.on_frame = None
    return KeyFigures(idle, busy, load.per_agent_per_s, load.sent)


@dataclass(frozen=True)
class ReplayFigures:
    """Opening a replay and jumping to its end (s), with the parts of it."""

    total: float
    read: float
    fold: float
    jump: float
    raw_select: float
    events: int


def raw_select(db: Path, session_id: str) -> float:
    """Baseline: raw sqlite3 fetch of the session's rows in order (s)."""
    conn = sqlite3.connect(db)
    start = time.perf_counter()
    rows = conn.execute(
        "SELECT * FROM event WHERE session_id = ? ORDER BY session_seq", (session_id,)
    ).fetchall()
    elapsed = time.perf_counter() - start
    conn.close()
    assert rows
    return elapsed


def forget_snapshots(db: Path) -> None:
    """Drop the stored snapshots: the next replay folds the whole session (and stores them)."""
    conn = sqlite3.connect(db)
    conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
    conn.commit()
    conn.close()


async def replay_to_end(db: Path, session_id: str) -> ReplayFigures:
    """From pushing the replay screen to the first frame showing its last timeline row after
    ``end``: read the session and its snapshots (as ``r`` on the dashboard does), fold the
    tail after the last snapshot, jump."""
    app = console_app(Boot(records=()))  # an empty dashboard to open the replay from
    read_s: list[float] = []

    def loader() -> ReplayData:
        start = time.perf_counter()
        data = Boot(db=str(db)).load_replay(session_id)
        read_s.append(time.perf_counter() - start)
        return data

    async with app.run_test(size=SIZE, headless=False):
        await loaded(app)
        start = time.perf_counter()
        screen = ReplayScreen(session_id, loader)
        await app.push_screen(screen)
        probe = CursorProbe(screen.query_one(SessionTimeline))
        while screen.replay is None:
            await asyncio.sleep(0.001)
        folded = time.perf_counter()
        rows = len(screen.replay.entries)
        shown = probe.expect(rows - 1, rows)
        press(app, "end")
        end = await asyncio.wait_for(shown, 60)
        events = len(screen.replay)
        app.exit()
    FrameDriver.on_frame = None
    raw = raw_select(db, session_id)
    read = read_s[0] if read_s else 0.0
    return ReplayFigures(end - start, read, folded - start - read, end - folded, raw, events)
