"""The replay screen: the same panels and timeline, read-only, rebuilt from the log.

The records are read and folded on a worker thread (a progress bar shows how far; input never
waits), through the same reducer as the live dashboard, into a
:class:`~sessions.readmodel.replay.ReplayLog`; every position is then one snapshot plus a few records.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ProgressBar, Static

from screens import stylesheets
from screens.format import STATE_STYLE, escape, timestamp
from screens.widgets.agent_grid import AgentGrid
from screens.widgets.approval_queue import ApprovalQueue
from screens.widgets.key_bar import KeyBar
from screens.widgets.timeline import SessionTimeline
from screens.worker_errors import ReportsFailedWorkers
from sessions.readmodel.gc_pause import paused_gc, release_frozen

if TYPE_CHECKING:
    from sessions.readmodel.replay import ReplayData, ReplayLog

Loader = Callable[[], "ReplayData"]
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 64.0, 256.0)
STEPS_PER_SECOND = 20.0
"""Records a 1× replay advances per second."""
TICK_S = 0.05


class ReplayScreen(ReportsFailedWorkers, Screen[None]):
    """Play, pause, step and jump through one session; nothing here can change it."""

    CSS_PATH = stylesheets.REPLAY
    BINDINGS = [
        Binding("space", "toggle_play", "Play/Pause", id="replay.play"),
        Binding("right,l", "step(1)", "Step", id="replay.step"),
        Binding("left", "step(-1)", "Back", id="replay.back"),
        Binding("plus,equals_sign", "speed(1)", "Faster", id="replay.faster"),
        Binding("minus", "speed(-1)", "Slower", id="replay.slower"),
        Binding("home", "jump_start", "Start", id="replay.start", priority=True),
        Binding("end", "jump_end", "End", id="replay.end", priority=True),
        Binding("h", "next('handoff')", "Next handoff", id="replay.next-handoff"),
        Binding(
            "a",
            "next('approval.requested,approval.resolved')",
            "Next approval",
            id="replay.next-approval",
        ),
        Binding("escape,q", "close", "Back", id="replay.close"),
    ]

    position: reactive[int] = reactive(0, init=False)
    """How many records have been replayed."""
    playing: reactive[bool] = reactive(False, init=False)
    """Advancing on a timer."""
    speed: reactive[float] = reactive(1.0, init=False)
    """Multiplier of :data:`STEPS_PER_SECOND`."""

    def __init__(
        self, session_id: str, loader: Loader, *, title: str = "", at_seq: int | None = None
    ) -> None:
        super().__init__()
        self.session_id = session_id
        self.loader = loader
        self.title_text = title
        self.at_seq = at_seq
        """Open just after this record (a search result), not at the start."""
        self.replay: ReplayLog | None = None
        self._timer: Timer | None = None
        self._credit = 0.0

    def compose(self) -> ComposeResult:
        yield Static(id="replay-header")
        yield ProgressBar(id="replay-progress", show_eta=False)
        with Horizontal(id="replay-main"):
            with Vertical(id="replay-left"):
                yield ApprovalQueue(id="replay-approvals")
            with Vertical(id="replay-right"):
                yield AgentGrid(id="replay-agents")
                yield SessionTimeline(id="replay-timeline")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(ApprovalQueue).border_title = "Pending at this point"
        self._header("loading…")
        self.load()

    @work(
        thread=True,
        exclusive=True,
        group="replay-load",
        exit_on_error=False,
        name="loading the replay",
    )
    def load(self) -> None:
        """Read and fold the session off the UI thread, reporting progress."""

        def progress(done: int, total: int) -> None:  # posted: the fold never waits for paint
            self.post_message(self.Progress(done, total))

        with paused_gc(freeze=True):  # a bulk build, no cycles: see sessions.readmodel.gc_pause
            data = self.loader()
            from sessions.readmodel.replay import (
                ReplayLog,  # the reducer: not before the first paint
            )

            log = ReplayLog(self.session_id, data.records, snapshots=data.snapshots)
            log.build(progress)
        self.app.call_from_thread(self._loaded, log)

    class Progress(Message):
        """How far the load is (posted from its thread)."""

        def __init__(self, done: int, total: int) -> None:
            super().__init__()
            self.done, self.total = done, total

    def on_replay_screen_progress(self, message: Progress) -> None:
        self.query_one(ProgressBar).update(total=max(1, message.total), progress=message.done)

    def _loaded(self, log: ReplayLog) -> None:
        self.replay = log
        session = log.final.session(self.session_id)
        if session is not None and session.title:
            self.title_text = session.title
        self.query_one(ProgressBar).display = False
        self.query_one(SessionTimeline).focus()
        if self.at_seq is not None:  # just after it: the record is the last one shown
            self.position = bisect_right([r.seq for r in log.records], self.at_seq)
        self._show(self.position)

    # -- drawing ------------------------------------------------------------------------------

    def watch_position(self, position: int) -> None:
        self._show(position)

    def watch_speed(self) -> None:
        self._show(self.position)

    def watch_playing(self, playing: bool) -> None:
        if playing and self._timer is None:
            self._timer = self.set_interval(TICK_S, self._tick, name="replay-play")
        elif not playing and self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._show(self.position)

    def _show(self, position: int) -> None:
        log = self.replay
        if log is None:
            return
        session = log.session_at(position)
        self.query_one(AgentGrid).show(session)
        pending = session.pending if session is not None else ()
        self.query_one(ApprovalQueue).show(pending, _now(log, position))
        timeline = self.query_one(SessionTimeline)
        timeline.set_entries(log.entries_until(position))
        state = f"[{STATE_STYLE.get(session.state, '$text')}]{session.state}[/]" if session else "–"
        mode = "▶ playing" if self.playing else "Ⅱ paused"
        self._header(f"{position}/{len(log)} · {state} · {mode} · {self.speed:g}×")

    def _header(self, text: str) -> None:
        self.query_one("#replay-header", Static).update(
            f"[b]Replay[/] {escape(self.title_text)} [$text-muted]{self.session_id[:8]}[/]"
            f" · {text} · [$text-muted]read-only[/]"
        )

    # -- keys ---------------------------------------------------------------------------------

    def _tick(self) -> None:
        log = self.replay
        if log is None:
            return
        self._credit += STEPS_PER_SECOND * self.speed * TICK_S
        steps = int(self._credit)
        self._credit -= steps
        if steps:
            self.position = min(len(log), self.position + steps)
        if self.position >= len(log):
            self.playing = False

    def action_toggle_play(self) -> None:
        """Play from here, or pause; at the end, play starts again from the beginning."""
        if self.replay is not None and self.position >= len(self.replay) and not self.playing:
            self.position = 0
        self.playing = not self.playing

    def action_step(self, delta: int) -> None:
        """One record forward or back (pauses)."""
        if self.replay is None:
            return
        self.playing = False
        self.position = max(0, min(len(self.replay), self.position + delta))

    def action_speed(self, direction: int) -> None:
        """Faster or slower, through :data:`SPEEDS`."""
        i = SPEEDS.index(self.speed) if self.speed in SPEEDS else 2
        self.speed = SPEEDS[max(0, min(len(SPEEDS) - 1, i + direction))]

    def action_jump_start(self) -> None:
        """Before the first record."""
        self.playing = False
        self.position = 0

    def action_jump_end(self) -> None:
        """After the last record."""
        self.playing = False
        if self.replay is not None:
            self.position = len(self.replay)

    def action_next(self, kinds: str) -> None:
        """Just after the next record of one of ``kinds`` (comma-separated)."""
        if self.replay is None:
            return
        found = self.replay.next_position(self.position, frozenset(kinds.split(",")))
        if found is None:
            self.notify("No more of those in this session.", severity="warning")
            return
        self.playing = False
        self.position = found

    def on_unmount(self) -> None:
        self.replay = None  # the records go now, by reference counting
        release_frozen()  # and the cycles the load froze (see sessions.readmodel.gc_pause) can go too

    def action_close(self) -> None:
        """Back to the dashboard (or quit, when replay was opened directly)."""
        self.playing = False
        if len(self.app.screen_stack) > 1:  # over the dashboard (else opened directly)
            self.app.pop_screen()
        else:
            self.app.exit()


def _now(log: ReplayLog, position: int) -> float:
    """Replay time: the time of the last replayed record, so waiting times read as they did."""
    if position <= 0 or not log.records:
        return 0.0
    return timestamp(log.records[position - 1].ts) or 0.0
