"""Shared pieces of ``bench/console.py``: the events agents write, databases of them, and a
Textual driver that renders every frame as a terminal driver would and says when it did.

:class:`FrameDriver` is a headless driver that reports ``is_headless = False``: Textual then
turns each compositor update into the escape sequences a terminal would get (the headless
driver skips that step), writes them here (to nothing) and calls :meth:`FrameDriver.flush` once
per frame. :class:`CursorProbe` notes which row a :class:`~screens.widgets.timeline.SessionTimeline`
last drew under its cursor, so a frame can be matched to what it shows: the first frame flushed
after the probe saw the new cursor row drawn is the first frame that shows it. (Reading the
cursor's value at flush time would not do: a repaint reaches the screen through a queued
message, so a frame can go out after the value changed and before the row is drawn again.)
"""

from __future__ import annotations

import asyncio
import math
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import events
from textual.app import App
from textual.drivers.headless_driver import HeadlessDriver
from textual.strip import Strip

from screens.widgets.timeline import SessionTimeline
from sessions import schema as s
from sessions.readmodel.snapshots import EVERY
from sessions.schema.base import Payload
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore

POLICY_HASH = "b" * 64
TEXT = "reading src/quarterdeck/widgets/timeline.py to see how rows are drawn; "


def agent_event(agent_id: str, i: int) -> Payload:
    """The ``i``-th event of an agent: mostly message chunks, with thoughts and tool calls
    (decided, then completed) — the mix a coding agent streams."""
    call = f"{agent_id}-c{i // 8}"
    step = i % 8
    if step == 3:
        return s.AgentThought(agent_id=agent_id, text=f"{i:07d} {TEXT}"[:120])
    if step == 5:
        command = f"grep -rn 'def render' src/part{i % 97}"
        return s.ToolCallRequested(agent_id=agent_id, call_id=call, tool="execute", command=command)
    if step == 6:
        return s.PolicyDecided(
            call_id=call, decision="allow", policy_hash=POLICY_HASH, source="rule"
        )
    if step == 7:
        return s.ToolResult(call_id=call, status="completed", exit_code=0, output=TEXT[:80])
    return s.AgentMessage(agent_id=agent_id, text=f"{i:07d} {TEXT}"[:48])


def start_session(store: EventStore, session_id: str, agents: list[str]) -> None:
    """A running session with ``agents`` started in it."""
    store.append(session_id, "orchestrator", s.SessionCreated(title=f"bench {session_id}"))
    running = s.SessionStateChanged(from_state="created", to_state="running")
    store.append(session_id, "orchestrator", running)
    for agent in agents:
        started = s.AgentStarted(agent_id=agent, role="implementer", backend="demo")
        store.append(session_id, "orchestrator", started)


def team(sessions: int, agents: int) -> dict[str, list[str]]:
    """``agents`` agent ids spread over ``sessions`` session ids."""
    ids = [f"s-{k}" for k in range(sessions)]
    out: dict[str, list[str]] = {sid: [] for sid in ids}
    for a in range(agents):
        out[ids[a % sessions]].append(f"agent-{a}")
    return out


def build_db(path: Path, members: dict[str, list[str]], events_per_agent: int) -> None:
    """A database where every agent of ``members`` has written ``events_per_agent`` events,
    interleaved as concurrent agents write them (a file already there is replaced)."""
    for leftover in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        leftover.unlink(missing_ok=True)
    # Snapshots kept as every quarterdeck process keeps them (sessions/store/snapshot_keeper.py).
    store = EventStore(open_engine(path), batch_max=5000, snapshot_every=EVERY)
    for sid, agents in members.items():
        start_session(store, sid, agents)
    pairs = [(sid, agent) for sid, agents in members.items() for agent in agents]
    for i in range(events_per_agent):
        for sid, agent in pairs:
            store.append(sid, agent, agent_event(agent, i))
    store.close()


def settle_env(tmp: Path) -> None:
    """Point the data and config dirs (and every child process) at ``tmp``."""
    os.environ["QUARTERDECK_DATA_DIR"] = str(tmp / "data")
    os.environ["QUARTERDECK_CONFIG_DIR"] = str(tmp / "config")
    os.environ.pop("QUARTERDECK_DB", None)


def percentile(values: list[float], q: float) -> float:
    """The ``q``-quantile (0..1) of ``values``, nearest rank."""
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, max(0, math.ceil(q * len(ranked)) - 1))]


def median(values: list[float]) -> float:
    """The median (0 for no values)."""
    return statistics.median(values) if values else 0.0


class FrameDriver(HeadlessDriver):
    """Has frames rendered to escape sequences (then dropped) and calls :attr:`on_frame` once
    per frame."""

    on_frame: ClassVar[Callable[[], None] | None] = None
    """Called after each frame is written (class-wide: the app builds its own driver)."""

    @property
    def is_headless(self) -> bool:
        """Not headless: Textual renders each frame to write it here."""
        return False

    def flush(self) -> None:
        """The frame is out."""
        if FrameDriver.on_frame is not None:
            FrameDriver.on_frame()


class CursorProbe:
    """Waits for the first frame that shows a timeline's cursor on a given row."""

    def __init__(self, timeline: SessionTimeline) -> None:
        self.timeline = timeline
        self.drawn = (-1, -1)
        """(cursor row, rows shown) as last drawn."""
        self._want: tuple[int, int] | None = None
        self._done: asyncio.Future[float] | None = None
        draw = timeline.render_line

        def render_line(y: int) -> Strip:
            strip = draw(y)
            if int(timeline.scroll_offset.y) + y == timeline.cursor:
                self.drawn = (timeline.cursor, len(timeline.rows))
            return strip

        timeline.render_line = render_line  # type: ignore[method-assign]
        FrameDriver.on_frame = self._frame

    def _frame(self) -> None:
        done, want = self._done, self._want
        if done is None or done.done() or want is None:
            return
        row, rows = want
        if self.drawn[0] == row and (rows < 0 or self.drawn[1] == rows):
            done.set_result(time.perf_counter())

    def expect(self, row: int, rows: int = -1) -> asyncio.Future[float]:
        """A future of the ``perf_counter`` time of the first frame showing the cursor on
        ``row`` (with ``rows`` rows in the list, unless -1)."""
        self._want = (row, rows)
        self._done = asyncio.get_running_loop().create_future()
        return self._done


def press(app: App[int], key: str) -> None:
    """Send one key as the terminal driver does (the pilot's ``press`` also waits for idle,
    which never comes under load)."""
    app.post_message(events.Key(key, key if len(key) == 1 else None))
