"""The bridge: the only place where committed core events become Textual messages.

It starts from the projections (:meth:`Bridge.seed`): the sessions list, the approvals queue and
the status bar are painted from them, whatever the size of the history, and a session is folded
from its records only when it is shown (:meth:`Bridge.load`) — read in chunks and folded on a
thread, then adopted by the model on the loop. Live (:meth:`Bridge.start`): the store tells
subscribers about commits on its writer thread; the bridge only queues those records and asks
the event loop for one flush per ``frame_s`` (a tenth of a second: under a stream, redrawing
the agent panels thirty times a second kept a key's frame waiting; a record after a quiet
spell is flushed at once). A flush folds what is queued into the
:class:`~sessions.readmodel.console_model.ConsoleModel` (at most ``max_per_flush`` records, so a
burst of thousands of chunks is spread over frames and a keypress is never stuck behind it) and
posts a single :class:`~screens.messages.LogAdvanced`. Other processes' commits: a thread asks
the database every ``poll_s`` whether anything was committed (a pragma, no table read) and only
then is the log's tail read; a gap in ``seq`` (another process committed in between) is filled
from the database, so the view never skips a record. Idle, nothing wakes the loop.

The event loop only draws: every database read (the projections, a session's records, a poll, a
gap) runs on a thread, and the loop only folds what comes back. The model is changed on the
loop only — a session's fold is built apart on a thread and adopted — and while a read is in
flight nothing else folds: its records and any queued after it are folded in ``seq`` order
when it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.worker import Worker

from app.log_sources import LogSource, Unsubscribe
from screens.messages import LogAdvanced, SessionLoading
from sessions.readmodel.console_model import ConsoleModel
from sessions.readmodel.gc_pause import paused_gc
from sessions.store.record import Record

if TYPE_CHECKING:
    from sessions.readmodel.session_fold import SessionFold
    from sessions.store.change_probe import ChangeProbe


class Bridge:
    """Feeds one app: paints from the projections, folds a session when shown, then
    coalesces live commits per frame."""

    def __init__(
        self,
        app: App[Any],
        source: LogSource,
        model: ConsoleModel,
        *,
        frame_s: float = 0.1,
        poll_s: float | None = 0.5,
        max_per_flush: int = 2000,
    ) -> None:
        self.app = app
        self.source = source
        self.model = model
        self.frame_s = frame_s
        self.poll_s = poll_s
        """How often the database is asked whether another process committed (None: never)."""
        self.max_per_flush = max_per_flush
        self.loaded = asyncio.Event()
        """Set when live updates flow (the sessions list was painted before, by :meth:`seed`)."""
        self._queue: deque[Record] = deque()
        self._lock = threading.Lock()
        self._scheduled = False
        self._last_flush = 0.0
        self._unsubscribe: Unsubscribe | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._context: contextvars.Context | None = None
        self._reading: Worker[None] | None = None
        """The read in flight (a gap or a poll); flushes wait for it."""
        self._stalled = False
        """The last read failed: its records are queued again, and a retry comes later."""
        self._loads: dict[str, threading.Event] = {}
        """The sessions being folded on a thread, each with the flag that stops its fold."""
        self._quit = threading.Event()
        self._follower: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def seed(self) -> None:
        """Paint from the projections (read on a thread): the sessions list, the approvals
        queue and the status bar, before any record is folded."""
        outline = await asyncio.to_thread(self.source.outline)
        self.app.post_message(LogAdvanced(self.model.seed(outline)))

    async def start(self) -> None:
        """Subscribe, read what was committed since :meth:`seed`, then follow: this process's
        commits by subscription, other processes' by asking the database every ``poll_s``."""
        self._loop = asyncio.get_running_loop()
        # Textual's timers need the app's context vars; a thread's callback must carry them.
        self._context = contextvars.copy_context()
        self._unsubscribe = self.source.subscribe(self._committed)
        probe = None if self.poll_s is None else await asyncio.to_thread(self.source.probe)
        self.loaded.set()
        self._schedule()  # what was queued since subscribing
        self._poll()  # what was committed between the projections' snapshot and now
        if probe is not None:
            self._follower = threading.Thread(
                target=self._follow, args=(probe,), name="bridge-follow", daemon=True
            )
            self._follower.start()

    def stop(self) -> None:
        """Stop receiving commits and folding sessions."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._reading is not None:
            self._reading.cancel()
        for stop in self._loads.values():
            stop.set()
        self._quit.set()
        if self._follower is not None:
            self._follower.join(timeout=1.0)

    def _follow(self, probe: ChangeProbe) -> None:
        """On a thread of its own: ask the database whether it changed, every ``poll_s``, and
        wake the loop to read only when it did (a commit of this process's store counts too;
        the read then finds those records folded already)."""
        assert self.poll_s is not None
        try:
            while not self._quit.wait(self.poll_s):
                try:
                    changed = probe.changed()
                except sqlite3.Error:
                    changed = True  # the read tells the user what is wrong
                if changed:
                    self._call(self._poll)
        finally:
            probe.close()

    def _call(self, callback: Callable[[], object]) -> None:
        """Have the loop run ``callback`` (from any thread), unless it has closed."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # closed meanwhile: the console is quitting
            loop.call_soon_threadsafe(callback, context=self._context)

    # -- sessions shown ----------------------------------------------------------------------

    def load(self, session_id: str) -> None:
        """Fold ``session_id`` on a thread if the model holds only its outline (the folds of
        other sessions, no longer shown, stop); the loop adopts the result."""
        for other, stop in self._loads.items():
            if other != session_id:
                stop.set()
        if not self.model.begin_load(session_id):
            return
        stop = self._loads[session_id] = threading.Event()
        session = self.model.view.session(session_id)
        total = session.event_count if session is not None else 0
        self.app.run_worker(
            self._load(session_id, stop, total),
            name=f"loading session {session_id[:8]}",
            group="session-load",
            exit_on_error=False,
        )

    async def _load(self, session_id: str, stop: threading.Event, total: int) -> None:
        try:
            fold = await asyncio.to_thread(self._fold_session, session_id, stop, total)
        except BaseException:
            self.model.drop_load(session_id)  # shown again, it is loaded again
            raise
        finally:
            if self._loads.get(session_id) is stop:
                del self._loads[session_id]
        if fold is None:
            self.model.drop_load(session_id)
        else:
            self.app.post_message(LogAdvanced(self.model.adopt(fold)))
        self.app.post_message(SessionLoading(session_id, total, total, finished=True))

    def _fold_session(
        self, session_id: str, stop: threading.Event, total: int
    ) -> SessionFold | None:
        """On a worker thread: read and fold the session, telling how far it got."""
        from sessions.readmodel.session_fold import fold_session

        def progress(done: int) -> None:
            self.app.post_message(SessionLoading(session_id, done, max(total, done)))

        with paused_gc():  # nothing it builds forms a cycle (see sessions.readmodel.gc_pause)
            chunks = self.source.session_chunks(session_id)
            return fold_session(session_id, chunks, stop=stop.is_set, progress=progress)

    # -- live --------------------------------------------------------------------------------

    def _committed(self, batch: Sequence[Record]) -> None:
        """Called on the store's writer thread: queue, and wake the loop once per frame."""
        with self._lock:
            self._queue.extend(batch)
            if self._scheduled:
                return
            self._scheduled = True
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._schedule, context=self._context)

    def _schedule(self) -> None:
        if not self.loaded.is_set():
            return  # start() flushes what queued up meanwhile
        wait = self._last_flush + self.frame_s - time.monotonic()
        if wait > 0:
            self.app.set_timer(wait, self.flush, name="bridge-frame")
        else:
            self.flush()

    def flush(self) -> None:
        """Fold what is queued (bounded), post one message, and come back for the rest; a
        ``seq`` gap is first read from the log, off the loop."""
        if self._reading is not None or self._stalled:
            return  # the read's end (or the next poll) flushes what is queued
        with self._lock:
            take = min(len(self._queue), self.max_per_flush)
            batch = [self._queue.popleft() for _ in range(take)]
            more = bool(self._queue)
            self._scheduled = more
        self._last_flush = time.monotonic()
        last = self.model.last_seq
        fresh = [r for r in batch if r.seq > last]  # a poll may have folded some already
        if fresh and fresh[0].seq != last + 1:  # another process committed in between
            self._read(last, fresh[0].seq - last - 1, fresh)
            return
        self._fold(fresh)
        if more:
            self._schedule()

    def _poll(self) -> None:
        """Read what other processes committed (nothing queued here covers it), or retry a
        read that failed."""
        if self._reading is not None or self._quit.is_set():
            return  # one read at a time: this one's records are not folded yet
        with self._lock:
            if self._scheduled and not self._stalled:
                return  # a flush is coming, and reads any gap itself
            retry = bool(self._queue)  # left by a failed gap read
            self._scheduled = retry
        self._stalled = False
        if retry:
            self._schedule()
        else:
            self._read(self.model.last_seq, self.max_per_flush, [])

    def _read(self, after: int, limit: int, fresh: list[Record]) -> None:
        """Read up to ``limit`` records past ``after`` on a thread, then fold them and ``fresh``
        on the loop; a failure reaches the user through the app's worker-error handler."""
        work = self._read_then_fold(after, limit, fresh)
        self._reading = self.app.run_worker(
            work, name="reading the log", group="bridge-read", exit_on_error=False
        )

    async def _read_then_fold(self, after: int, limit: int, fresh: list[Record]) -> None:
        try:
            read = await asyncio.to_thread(self.source.read_after, after, limit)
        except BaseException:
            # Nothing taken is lost: the records wait in the queue, and a poll ``poll_s`` later
            # (or, without polling, the next commit) tries the read again — not every frame.
            with self._lock:
                self._queue.extendleft(reversed(fresh))
                self._scheduled = False  # no flush is pending now (one may have returned early)
            self._stalled = bool(fresh) and self.poll_s is not None
            if self.poll_s is not None and not self._quit.is_set():
                self.app.set_timer(self.poll_s, self._poll, name="bridge-retry")
            raise
        finally:
            self._reading = None
        last = self.model.last_seq  # unchanged: nothing folds while a read is in flight
        self._fold([r for r in read if r.seq > last] + fresh)
        with self._lock:
            more = self._scheduled = bool(self._queue)
        if more:
            self._schedule()
        elif not fresh and len(read) >= limit:
            self._poll()  # a poll read as much as it may: the rest follows at once

    def _fold(self, records: list[Record]) -> None:
        if records:
            changes = self.model.add(records)
            if changes.records:
                self.app.post_message(LogAdvanced(changes))
