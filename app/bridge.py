"""The bridge: the only place where committed core events become Textual messages.

The store tells subscribers about commits on its writer thread; the bridge only queues those
records and asks the event loop for one flush per frame. A flush folds what is queued into the
:class:`~sessions.readmodel.console_model.ConsoleModel` (at most ``max_per_flush`` records, so a burst of
thousands of chunks is spread over frames and a keypress is never stuck behind it) and posts a
single :class:`~screens.messages.LogAdvanced`. Records of other processes writing the same
database arrive by polling; a gap in ``seq`` (another process committed in between) is filled
from the database, so the view never skips a record.

The event loop only draws: every database read (the history, a poll, a gap) runs on a thread,
and the loop only folds what comes back. The model is folded by one thread at a time — the
history load's thread until :attr:`Bridge.loaded` is set (no flush runs and no poll starts
before), then only the loop, and while a read is in flight nothing else folds: its records
and any queued after it are folded in ``seq`` order when it is back.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy import Engine
from textual.app import App
from textual.worker import Worker

from screens.messages import HistoryProgress, LogAdvanced
from sessions.readmodel.console_model import ConsoleModel
from sessions.readmodel.gc_pause import paused_gc
from sessions.store.event_store import EventStore
from sessions.store.reading import log_bounds, read_after
from sessions.store.record import Record

Unsubscribe = Callable[[], None]


class LogSource(Protocol):
    """Where the bridge reads records from."""

    def read_after(self, seq: int, limit: int) -> list[Record]:
        """Records with ``seq`` past ``seq``, in order, at most ``limit``."""
        ...

    def size(self) -> int:
        """How many records there are now (for the loading progress bar)."""
        ...

    def subscribe(self, callback: Callable[[Sequence[Record]], None]) -> Unsubscribe:
        """Be called (on any thread) with every batch committed from now on."""
        ...


class DatabaseSource:
    """A database file, with live commits from this process's store when there is one."""

    def __init__(self, engine: Engine, store: EventStore | None = None) -> None:
        self.engine = engine
        self.store = store

    def read_after(self, seq: int, limit: int) -> list[Record]:
        """Records past ``seq`` from the database."""
        return read_after(self.engine, seq, limit)

    def size(self) -> int:
        """The number of records in the log."""
        return log_bounds(self.engine).size

    def subscribe(self, callback: Callable[[Sequence[Record]], None]) -> Unsubscribe:
        """This process's commits; without a store, only polling brings news."""
        if self.store is None:
            return lambda: None
        return self.store.subscribe(callback)


class MemorySource:
    """A fixed list of records (snapshot tests, benchmarks); ``push`` simulates commits."""

    def __init__(self, records: Sequence[Record] = ()) -> None:
        self.records = list(records)
        self._callbacks: list[Callable[[Sequence[Record]], None]] = []

    def read_after(self, seq: int, limit: int) -> list[Record]:
        """Records past ``seq``."""
        return [r for r in self.records if r.seq > seq][:limit]

    def size(self) -> int:
        """How many records there are."""
        return len(self.records)

    def subscribe(self, callback: Callable[[Sequence[Record]], None]) -> Unsubscribe:
        """Be told of ``push`` calls."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback)

    def push(self, batch: Sequence[Record]) -> None:
        """Add records as if committed, and tell subscribers."""
        self.records.extend(batch)
        for callback in list(self._callbacks):
            callback(batch)


class Bridge:
    """Feeds one app: loads the history in a thread, then coalesces live commits per frame."""

    def __init__(
        self,
        app: App[Any],
        source: LogSource,
        model: ConsoleModel,
        *,
        frame_s: float = 1 / 30,
        poll_s: float | None = 0.5,
        max_per_flush: int = 2000,
        chunk: int = 5000,
    ) -> None:
        self.app = app
        self.source = source
        self.model = model
        self.frame_s = frame_s
        self.poll_s = poll_s
        self.max_per_flush = max_per_flush
        self.chunk = chunk
        self.loaded = asyncio.Event()
        """Set when the history is folded and live updates flow."""
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
        """The last read failed: its records are queued again, and the next poll retries."""

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe first (nothing committed meanwhile is lost), then load the history."""
        self._loop = asyncio.get_running_loop()
        # Textual's timers need the app's context vars; a thread's callback must carry them.
        self._context = contextvars.copy_context()
        self._unsubscribe = self.source.subscribe(self._committed)
        await asyncio.to_thread(self._load_history)
        self.loaded.set()
        self.app.post_message(LogAdvanced(self.model.add((), alerts=False)))
        self._schedule()
        if self.poll_s is not None:
            self.app.set_interval(self.poll_s, self._poll, name="bridge-poll")

    def stop(self) -> None:
        """Stop receiving commits."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._reading is not None:
            self._reading.cancel()

    def _load_history(self) -> None:
        total = self.source.size()
        done = 0
        self.app.post_message(HistoryProgress(0, total))
        with paused_gc(freeze=True):  # kept for the console's life: see sessions.readmodel.gc_pause
            while batch := self.source.read_after(self.model.last_seq, self.chunk):
                self.model.add(batch, alerts=False)
                done += len(batch)
                self.app.post_message(HistoryProgress(done, max(total, done)))
        self.app.post_message(HistoryProgress(done, max(total, done), finished=True))

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
            return  # the history load's end flushes what queued up meanwhile
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
        """Read what other processes committed (nothing queued here covers it)."""
        if self._reading is not None:
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
            # Nothing taken is lost: the records wait in the queue, and the next poll (or,
            # without polling, the next commit) tries the gap again — not every frame.
            with self._lock:
                self._queue.extendleft(reversed(fresh))
                self._scheduled = False  # no flush is pending now (one may have returned early)
            self._stalled = bool(fresh) and self.poll_s is not None
            raise
        finally:
            self._reading = None
        last = self.model.last_seq  # unchanged: nothing folds while a read is in flight
        self._fold([r for r in read if r.seq > last] + fresh)
        with self._lock:
            more = self._scheduled = bool(self._queue)
        if more:
            self._schedule()

    def _fold(self, records: list[Record]) -> None:
        if records:
            changes = self.model.add(records)
            if changes.records:
                self.app.post_message(LogAdvanced(changes))
