"""``EventStore``: the single write path of Quarterdeck and the bus of committed records.

Everything the system knows enters through :meth:`EventStore.append` (fire and forget),
:meth:`EventStore.append_durable` (awaitable, returns after commit) or
:meth:`EventStore.append_group` (several events in one transaction). Subscribers receive the
records only after they are on disk, in ``seq`` order.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Engine

from sessions.errors import FencedError, StoreClosedError, StoreError
from sessions.schema.base import SYSTEM_SESSION, Payload
from sessions.schema.flow import EscalationRaised
from sessions.store import projections as projection
from sessions.store.anchors import Anchor, AnchorLog
from sessions.store.chain import canonical_json
from sessions.store.crypto import PayloadCipher, attach
from sessions.store.engine import writer_connection
from sessions.store.record import Record
from sessions.store.wal import WalCheckpointer
from sessions.store.writer import BatchWriter, Group, Pending, Redactor

if TYPE_CHECKING:
    from sessions.store.snapshot_keeper import SnapshotKeeper

Subscriber = Callable[[Sequence[Record]], None]
"""Receives each committed batch, in order, on the writer thread; must not block."""

ErrorListener = Callable[[StoreError], None]
"""Told about every failed commit, so no failure goes unseen."""

Clock = Callable[[], float]
"""Seconds since the epoch, like :func:`time.time` (tests inject a fake clock)."""

log = logging.getLogger(__name__)

_FOLDED = projection.FOLDED_KINDS
_dumps = orjson.dumps  # canonical_json, inlined on the hot path
_SORTED = orjson.OPT_SORT_KEYS


_second_cache: tuple[int, str] = (-1, "")


def format_ts(moment: float | datetime) -> str:
    """The record timestamp format: UTC, microseconds, a ``Z`` suffix."""
    if isinstance(moment, datetime):
        moment = moment.timestamp()
    global _second_cache
    second, fraction = divmod(int(moment * 1_000_000), 1_000_000)
    cached_second, prefix = _second_cache  # one read of an immutable pair: thread-safe
    if cached_second != second:  # formatting the date part is the slow bit: once a second
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _second_cache = (second, prefix)
    return f"{prefix}.{fraction:06d}Z"


class EventStore:
    """The event log of one database: batched, chained, durable on request, observable."""

    def __init__(
        self,
        engine: Engine,
        *,
        redact: Redactor | None = None,
        clock: Clock = time.time,
        anchors: AnchorLog | None = None,
        anchor_every: int = 1000,
        batch_max: int = 5000,
        batch_window_s: float = 0.004,
        connect: Callable[[], Any] | None = None,
        cipher: PayloadCipher | None = None,
        search_index: bool = True,
        snapshot_every: int = 0,
    ) -> None:
        self.engine = engine
        self._keeper: SnapshotKeeper | None = None
        if snapshot_every > 0:  # the reducer loads only where snapshots are kept
            from sessions.store.snapshot_keeper import SnapshotKeeper

            self._keeper = SnapshotKeeper(engine, every=snapshot_every)
        if cipher is not None:
            attach(engine, cipher)  # so every reader of this database decrypts
        self._clock = clock
        self._anchors = anchors
        self._anchor_every = anchor_every
        self._subscribers: list[Subscriber] = []
        self._error_listeners: list[ErrorListener] = []
        self._lock = threading.Lock()
        self._closed = False
        self._last_seq = 0
        self._head: Record | None = None
        self._anchored_seq = 0
        self._redact = redact
        self._writer = BatchWriter(
            connect or (lambda: writer_connection(engine)),
            on_committed=self._committed,
            on_error=self._failed,
            batch_max=batch_max,
            batch_window_s=batch_window_s,
            cipher=cipher,
            search_index=search_index,
            redact_text=self.redact_text if redact is not None else None,
            on_indexed=lambda events: self._wal.committed(events),
        )
        self._wal = WalCheckpointer(
            lambda: writer_connection(engine),
            on_error=lambda message: self._failed(StoreError(message)),
        )
        self._wal.start()
        self._writer.start()

    # -- writing ---------------------------------------------------------------------------

    def redact_text(self, text: str) -> str:
        """``text`` masked as payloads are: the one funnel for what reaches the disk."""
        if self._redact is None:
            return text
        masked = self._redact(text)
        return masked if isinstance(masked, str) else text

    @property
    def redactor(self) -> Redactor | None:
        """What masks payloads before they are hashed (the runtime's knows the keyring's values)."""
        return self._redact

    def _pending(
        self, session_id: str, actor: str, payload: Payload, *, side: Any = None
    ) -> Pending:
        return self.pending_data(
            session_id, actor, payload.KIND, data=payload.to_json_obj(), side=side
        )

    def pending_data(
        self,
        session_id: str,
        actor: str,
        kind: str,
        *,
        data: Any,
        ts: str | None = None,
        side: Any = None,
    ) -> Pending:
        """An item for :meth:`append_group` from JSON data, redacted and serialized.

        Redaction and serialization run here, on the caller's thread: a bad payload fails its
        caller at once, and the work overlaps with the writer's time inside SQLite.
        """
        if self._redact is not None:
            data = self._redact(data)
        kept = data if kind in projection.FOLDED_KINDS else None
        stamp = ts if ts is not None else format_ts(self._clock())
        return (session_id, actor, kind, kept, canonical_json(data).decode(), stamp, side)

    def _submit(self, group: Group) -> None:
        if self._closed:
            raise StoreClosedError("the event store is closed")
        self._writer.submit(group)

    def append(self, session_id: str, actor: str, payload: Payload) -> None:
        """Append without waiting; the event is committed within a few milliseconds."""
        if self._closed:
            raise StoreClosedError("the event store is closed")
        # The hot path: pending_data inlined.
        kind = payload.KIND
        data = payload.to_json_obj()
        if self._redact is not None:
            data = self._redact(data)
        self._writer.submit_one(
            (
                session_id,
                actor,
                kind,
                data if kind in _FOLDED else None,
                _dumps(data, option=_SORTED).decode(),
                format_ts(self._clock()),
                None,
            )
        )

    def append_future(
        self, session_id: str, actor: str, payload: Payload, *, side: Any = None
    ) -> Future[list[Record]]:
        """Append and get a future that resolves to the committed record (in a list)."""
        future: Future[list[Record]] = Future()
        self._submit(Group([self._pending(session_id, actor, payload, side=side)], future))
        return future

    async def append_durable(self, session_id: str, actor: str, payload: Payload) -> Record:
        """Append and return only once the record is committed (fsynced) to the log."""
        records = await asyncio.wrap_future(self.append_future(session_id, actor, payload))
        return records[0]

    def append_sync(self, session_id: str, actor: str, payload: Payload) -> Record:
        """Blocking durable append, for command-line tools outside an event loop."""
        return self.append_future(session_id, actor, payload).result()[0]

    def append_group(self, items: Iterable[Pending]) -> Future[list[Record]]:
        """Commit ``items`` in one transaction, all or nothing (import, fork)."""
        future: Future[list[Record]] = Future()
        self._submit(Group(list(items), future))
        return future

    def fence(self, session_id: str, token: int) -> None:
        """Check every later append of ``session_id`` against its lease: once another process
        holds a newer token, this process's appends for it are refused (:class:`FencedError`)."""
        self._writer.fences[session_id] = token

    def unfence(self, session_id: str) -> None:
        """Stop checking ``session_id`` (the lease was released)."""
        self._writer.fences.pop(session_id, None)

    def flush(self) -> None:
        """Block until everything appended before this call is committed (or has failed)."""
        future: Future[list[Record]] = Future()
        self._submit(Group([], future))
        future.result()

    def close(self) -> None:
        """Commit what is queued, stop the writer, and anchor the head. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._writer.stop()
        if self._keeper is not None:
            self._keeper.close()
        self._wal.stop()
        head = self._head
        if self._anchors is not None and head is not None and head.seq > self._anchored_seq:
            self._write_anchor(head)

    # -- observing -------------------------------------------------------------------------

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Receive committed batches from now on; returns a function that unsubscribes."""
        with self._lock:
            self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with self._lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)

        return unsubscribe

    def on_error(self, listener: ErrorListener) -> None:
        """Be told of every commit that failed."""
        self._error_listeners.append(listener)

    def _committed(self, records: list[Record]) -> None:
        if not records:
            return
        self._wal.committed(len(records))
        self._maybe_anchor(records)
        if self._keeper is not None:
            self._keeper.committed(records)
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber(records)
            except Exception as exc:  # a broken view must not stop the log; it is reported
                self._failed(StoreError(f"subscriber {subscriber!r} failed: {exc!r}"))

    def _maybe_anchor(self, records: list[Record]) -> None:
        last = records[-1]
        crossed = last.seq // self._anchor_every > self._last_seq // self._anchor_every
        finished = any(r.kind == "session.finished" for r in records)
        self._last_seq = last.seq
        self._head = last
        if crossed or finished:
            self._write_anchor(last)

    def _write_anchor(self, head: Record) -> None:
        if self._anchors is None:
            return
        try:
            self._anchors.append(Anchor(head.seq, head.hash, head.ts))
            self._anchored_seq = head.seq
        except OSError as exc:
            self._failed(StoreError(f"could not write anchor {self._anchors.path}: {exc}"))

    def _failed(self, error: StoreError) -> None:
        if isinstance(error, FencedError) and not self._closed:
            # Recorded where every console sees it: the refused session is not ours to write.
            reason = f"fencing: {error}"
            self.append(
                SYSTEM_SESSION, "store", EscalationRaised(reason=reason, severity="critical")
            )
        for listener in list(self._error_listeners):
            listener(error)
        if not self._error_listeners:
            log.error("%s", error)

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
