"""The bridge: the only place where committed core events become Textual messages.

The store tells subscribers about commits on its writer thread; the bridge queues those records
and wakes its folding thread, which folds what queued into the
:class:`~sessions.readmodel.console_model.ConsoleModel` at most once per ``frame_s`` (at most
``max_per_flush`` records a time) and hands the loop the result: one
:class:`~screens.messages.LogAdvanced` with the frozen view and the new timeline rows. When the
loop is busy drawing, the folds that finish meanwhile merge into the one it has not taken yet,
so a slow frame is followed by one update, not a queue of them. A record after a quiet spell is
handed over at once; a stream is handed over ten times a second (each update redraws the agent
panels: at 30 a second, under 2,000 events a second, those frames were most of the loop's time
and a key's frame waited behind them — median 80 ms, against 15 ms at ten). Records of other
processes writing the same database arrive by polling; a gap in ``seq`` (another process
committed in between) is read from the database before the records after it, so the view
never skips one.

The event loop only draws: every database read and every fold runs on a thread (under 2,000
events a second, folding on the loop kept a key waiting behind up to 2,000 records of it). The
model is folded by one thread at a time — the history load's thread until
:attr:`Bridge.loaded` is set, then only the folding thread; the loop reads its frozen view and
the timeline lists, which only ever grow.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Protocol

from sqlalchemy import Engine
from textual.app import App

from screens.messages import HistoryProgress, LogAdvanced
from sessions.readmodel.console_model import Changes, ConsoleModel
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
    """Feeds one app: loads the history in a thread, then folds live commits on a thread of its
    own and hands the loop what changed, at most once per ``frame_s``."""

    def __init__(
        self,
        app: App[Any],
        source: LogSource,
        model: ConsoleModel,
        *,
        frame_s: float = 0.1,
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
        self._wake = threading.Event()
        self._poll_due = False
        self._stalled = False
        """The last read failed: its records are queued again, and the next poll retries."""
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._handed: Changes | None = None
        """Folded, not yet taken by the loop (later folds merge into it)."""
        self._unsubscribe: Unsubscribe | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._context: contextvars.Context | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe first (nothing committed meanwhile is lost), then load the history."""
        self._loop = asyncio.get_running_loop()
        # Textual's messages and timers need the app's context vars; the thread's calls carry them.
        self._context = contextvars.copy_context()
        self._unsubscribe = self.source.subscribe(self._committed)
        await asyncio.to_thread(self._load_history)
        self.loaded.set()
        self.app.post_message(LogAdvanced(self.model.add((), alerts=False)))
        self._thread = threading.Thread(target=self._run, name="quarterdeck-fold", daemon=True)
        self._thread.start()
        self._wake.set()  # what was committed during the load
        if self.poll_s is not None:
            self.app.set_interval(self.poll_s, self._poll, name="bridge-poll")

    def stop(self) -> None:
        """Stop receiving commits, and the folding thread (after its fold in progress)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

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
        """Called on the store's writer thread: queue, and wake the folding thread."""
        with self._lock:
            self._queue.extend(batch)
        self._wake.set()

    def _poll(self) -> None:
        """On the loop, every ``poll_s``: have the thread read what other processes committed
        (nothing queued here covers it), or retry a failed read."""
        self._poll_due = True
        self._wake.set()

    def _run(self) -> None:
        """The folding thread: at most one fold per ``frame_s``, each of what queued meanwhile."""
        last = 0.0
        while True:
            self._wake.wait()
            wait = last + self.frame_s - time.monotonic()
            if wait > 0 and not self._stopping:
                time.sleep(wait)  # commits keep queueing: the next fold takes them all
            self._wake.clear()
            if self._stopping:
                return
            last = time.monotonic()
            try:
                more = self.step()
            except Exception as exc:  # a broken fold must not end the console's updates
                self._report(f"folding the log: {exc!r}")
                more = False
            if more:
                self._wake.set()

    def step(self) -> bool:
        """Fold what is queued (bounded; a ``seq`` gap is read from the log first) and hand
        the loop what changed; ``True`` when more is waiting. On the folding thread."""
        with self._lock:
            poll, self._poll_due = self._poll_due, False
            if self._stalled and not poll:
                return False  # the next poll retries the failed read
            self._stalled = False
            take = min(len(self._queue), self.max_per_flush)
            batch = [self._queue.popleft() for _ in range(take)]
            more = bool(self._queue)
        last = self.model.last_seq
        fresh = [r for r in batch if r.seq > last]  # a poll may have folded some already
        try:
            if fresh and fresh[0].seq != last + 1:  # another process committed in between
                read = self.source.read_after(last, fresh[0].seq - last - 1)
            elif poll and not fresh:
                read = self.source.read_after(last, self.max_per_flush)
            else:
                read = []
        except Exception as exc:
            # Nothing taken is lost: the records wait in the queue, and the next poll (or,
            # without polling, the next commit) tries the gap again — not every frame.
            with self._lock:
                self._queue.extendleft(reversed(fresh))
                self._stalled = bool(fresh) and self.poll_s is not None
            self._report(f"reading the log: {exc}")
            return False
        records = [r for r in read if r.seq > last] + fresh
        if records:
            changes = self.model.add(records)
            if changes.records:
                self._hand(changes)
        return more or (poll and len(read) >= self.max_per_flush)

    def _hand(self, changes: Changes) -> None:
        """Give the loop ``changes``, merged with any it has not taken yet: a loop busy
        drawing gets one update for several folds, never a queue of them."""
        with self._lock:
            waiting = self._handed
            self._handed = changes if waiting is None else merged(waiting, changes)
        if waiting is None:
            self._call_soon(self._take)

    def _take(self) -> None:
        with self._lock:
            changes, self._handed = self._handed, None
        if changes is not None:
            self.app.post_message(LogAdvanced(changes))

    def _report(self, text: str) -> None:
        """An error notification, from the thread (a failure is never silent)."""
        notify = partial(
            self.app.notify,
            text,
            title="Background work failed",
            severity="error",
            timeout=10,
            markup=False,
        )
        self._call_soon(notify)

    def _call_soon(self, callback: Callable[[], object]) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(callback, context=self._context)


def merged(first: Changes, then: Changes) -> Changes:
    """What two folds in a row changed, as one."""
    entries = {sid: list(rows) for sid, rows in first.entries.items()}
    for sid, rows in then.entries.items():
        entries.setdefault(sid, []).extend(rows)
    return Changes(
        view=then.view,
        entries=entries,
        alerts=first.alerts + then.alerts,
        records=first.records + then.records,
    )
