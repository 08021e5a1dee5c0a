"""The one writer thread: commits queued events in batches, chained, inside BEGIN IMMEDIATE.

Callers put *groups* on a queue (a group is committed whole, in one transaction, never split).
The thread takes everything queued: at once when a caller waits for durability, after lingering
up to ``batch_window_s`` otherwise (or as soon as ``batch_max`` events are waiting). While one
batch syncs to disk the next one fills, so concurrent callers share fsyncs (group commit).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from typing import Any

from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from sessions.errors import FencedError, StoreError
from sessions.schema.base import SCHEMA_VERSION
from sessions.store import projections as projection
from sessions.store.chain import GENESIS_HASH, record_hash
from sessions.store.crypto import PayloadCipher
from sessions.store.record import Record
from sessions.store.search_projection import SearchProjection

log = logging.getLogger(__name__)

Redactor = Callable[[Any], Any]
"""Turns a payload (JSON data) into the same with secrets masked; applied before hashing."""

INSERT = (
    "INSERT INTO event (seq, session_id, session_seq, ts, actor, kind, schema_version, payload,"
    " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


Pending = tuple[str, str, str, Any, str, str, Any]
"""One event, redacted and serialized, waiting for its seq and hash: ``(session_id, actor, kind,
payload object or None, payload JSON, ts, side value)``. A plain tuple on purpose: exact tuples
of strings are untracked by the garbage collector, so a long queue does not trigger full-heap
collections (they cost a fifth of ingest time when these were objects)."""


@dataclass(slots=True)
class Group:
    """Events committed together; ``future`` (if any) receives their records after commit."""

    items: list[Pending]
    future: Future[list[Record]] | None = None
    durable: bool = True


Seal = Callable[[str, int, str, int, str], str]
"""Encrypts a payload's JSON for the row ``(seq, session_id, session_seq, kind)``."""

Queued = Group | tuple[Any, ...]
"""What the buffer holds: a group, or a single fire-and-forget :data:`Pending`."""


class _Stale(Exception):
    """Some sessions of a batch are fenced off: ``sessions`` maps each to the current token."""

    def __init__(self, sessions: dict[str, int]) -> None:
        super().__init__(sessions)
        self.sessions = sessions


def _is_busy(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


class BatchWriter:
    """Owns the write connection and the thread that commits batches."""

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        *,
        on_committed: Callable[[list[Record]], None],
        on_error: Callable[[StoreError], None],
        batch_max: int = 1000,
        batch_window_s: float = 0.004,
        busy_attempts: int = 5,
        cipher: PayloadCipher | None = None,
        search_index: bool = True,
        redact_text: Callable[[str], str] | None = None,
        on_indexed: Callable[[int], None] | None = None,
    ) -> None:
        self._connect = connect
        self._cipher = cipher
        self._seal: Seal | None = None if cipher is None else cipher.seal
        self._on_committed = on_committed
        self._on_error = on_error
        self._batch_max = batch_max
        self._window = batch_window_s
        # Another process holding the write lock past busy_timeout: back off and try again,
        # a bounded number of times, then fail the batch visibly.
        self._retrying = Retrying(
            retry=retry_if_exception(_is_busy),
            stop=stop_after_attempt(busy_attempts),
            wait=wait_exponential_jitter(multiplier=0.05, max=2.0),
            reraise=True,
            before_sleep=lambda state: log.warning(
                "database busy, retrying commit (attempt %d)", state.attempt_number
            ),
        )
        self._wake = threading.Condition()
        self._queue: deque[Queued] = deque()
        self._urgent = 0  # durable groups queued; changed only under self._wake
        self._idle = False
        self._lingering = False
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="quarterdeck-writer", daemon=True)
        self._conn: sqlite3.Connection | None = None
        self._index_search = search_index
        self._redact_text = redact_text
        self._on_indexed = on_indexed
        self.search: SearchProjection | None = None
        """The search index this writer keeps (None: no index here, or turned off)."""
        self.fences: dict[str, int] = {}
        """Session id -> the lease token this process holds; their appends are checked."""

    def start(self) -> None:
        """Open the write connection and start the thread."""
        self._conn = self._connect()
        if self._index_search:
            try:
                self.search = SearchProjection.attach(
                    self._conn, sealing=self._cipher is not None, redact=self._redact_text
                )
            except sqlite3.Error as exc:  # the index is a projection: the log goes on without it
                log.warning("search index not kept by this process: %s", exc)
                self.search = None
        self._thread.start()

    def submit(self, group: Group) -> None:
        """Queue a group for commit and wake the writer: someone is waiting on it."""
        with self._wake:
            self._queue.append(group)
            self._urgent += group.durable
            self._wake.notify()

    def submit_one(self, item: Pending) -> None:
        """Queue one fire-and-forget event: the hot path, lock-free unless the writer sleeps.

        No wake-up is lost: the writer sets ``_idle`` before it looks at the queue, and this
        appends before it reads ``_idle``, so one of the two always sees the other.
        """
        queue = self._queue
        queue.append(item)
        if self._idle or (self._lingering and len(queue) >= self._batch_max):
            with self._wake:
                self._wake.notify()

    def stop(self, timeout: float | None = None) -> None:
        """Commit everything already queued, then stop the thread and close the connection."""
        with self._wake:
            self._stopping = True
            self._wake.notify()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            while True:
                taken = self._take()
                if taken is None:
                    break
                if not taken[0]:  # nothing queued, and the search index lags: one step of it
                    self._index_step()
                    continue
                self._commit_groups(*taken)
        finally:
            if self._conn is not None:
                self._conn.close()

    def _take(self) -> tuple[list[Queued], list[Pending]] | None:
        """Wait for work, let a batch fill unless someone waits on it, and take a batch."""
        with self._wake:
            self._idle = True
            while not self._queue:
                if self._stopping:
                    return None
                if self.search is not None and self.search.behind:
                    self._idle = False
                    return [], []
                self._wake.wait()
            self._idle = False
            if not (self._stopping or self._urgent) and len(self._queue) < self._batch_max:
                # Fire-and-forget traffic: linger a few ms so one fsync covers many events.
                self._lingering = True
                self._wake.wait(self._window)
                self._lingering = False
            return self._pop_batch()

    def _index_step(self) -> None:
        search, conn = self.search, self._conn
        assert search is not None and conn is not None
        covered = search.step(conn)
        if covered and self._on_indexed is not None:
            self._on_indexed(covered)

    def _pop_batch(self) -> tuple[list[Queued], list[Pending]]:
        """Take up to ``batch_max`` events (whole groups) so commits pipeline with producers;
        returns what was queued and the events it holds, flattened."""
        queue = self._queue
        batch: list[Queued] = []
        items: list[Pending] = []
        limit = self._batch_max
        while queue and len(items) < limit:
            queued = queue.popleft()
            batch.append(queued)
            if isinstance(queued, Group):
                items.extend(queued.items)
                self._urgent -= queued.durable
            else:
                items.append(queued)
        return batch, items

    def _commit_groups(self, ready: list[Queued], items: list[Pending]) -> None:
        if not items:  # a flush barrier: everything before it is already committed
            for queued in ready:
                if isinstance(queued, Group) and queued.future is not None:
                    _resolve(queued.future, [])
            return
        try:
            records = self._retrying(self._transaction, items)
        except _Stale as stale:
            self._refuse(ready, stale.sessions)
            return
        except Exception as exc:
            self._fail(ready, StoreError(f"could not commit to the log: {exc}"))
            return
        # Publish (anchors, subscribers) before resolving futures: a caller whose durable
        # append has returned knows every view has been told and the anchor is written.
        self._on_committed(records)
        start = 0
        for queued in ready:
            if isinstance(queued, Group):
                end = start + len(queued.items)
                if queued.future is not None:
                    _resolve(queued.future, records[start:end])
                start = end
            else:
                start += 1

    def _refuse(self, ready: list[Queued], stale: dict[str, int]) -> None:
        """Fail what the stale sessions queued, then commit the rest as a batch of its own."""
        kept: list[Queued] = []
        for queued in ready:
            items = queued.items if isinstance(queued, Group) else [queued]
            sid = next((item[0] for item in items if item[0] in stale), None)
            if sid is None:
                kept.append(queued)
                continue
            error = FencedError(
                f"refused {len(items)} event(s) of session {sid[:8]}: this process's lease"
                f" (token {self.fences.get(sid)}) was taken over (token {stale[sid]})"
            )
            self._fail([queued], error)
        rest = [item for q in kept for item in (q.items if isinstance(q, Group) else [q])]
        self._commit_groups(kept, rest)

    def _stale(self, conn: sqlite3.Connection, items: Sequence[Pending]) -> dict[str, int]:
        # Read inside BEGIN IMMEDIATE: no takeover can commit between this check and ours.
        fences = self.fences
        stale: dict[str, int] = {}
        for sid in {item[0] for item in items if item[0] in fences}:
            try:
                row = conn.execute(
                    "SELECT token FROM session_lease WHERE session_id = ?", (sid,)
                ).fetchone()
            except sqlite3.OperationalError:  # a database from before leases
                row = None
            if row is not None and int(row[0]) > fences[sid]:
                stale[sid] = int(row[0])
        return stale

    def _transaction(self, items: Sequence[Pending]) -> list[Record]:
        conn = self._conn
        assert conn is not None
        conn.execute("BEGIN IMMEDIATE")
        try:
            if self.fences and (stale := self._stale(conn, items)):
                raise _Stale(stale)
            head = conn.execute("SELECT seq, hash FROM event ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = head if head is not None else (0, GENESIS_HASH)
            session_seqs: dict[str, int] = {}
            records: list[Record] = []
            folded: list[tuple[Record, Any, Any]] = []
            make = Record._make
            version = SCHEMA_VERSION
            seal = self._seal
            rows: list[Any] = records if seal is None else []
            for sid, actor, kind, payload, payload_json, ts, side in items:
                last = session_seqs.get(sid)
                if last is None:
                    row = conn.execute(
                        "SELECT MAX(session_seq) FROM event WHERE session_id = ?", (sid,)
                    ).fetchone()
                    last = row[0] or 0
                seq += 1
                last += 1
                session_seqs[sid] = last
                # Sealed here, not on the caller's thread: the row's identity (its seq, known
                # only now) is the ciphertext's associated data.
                stored = payload_json if seal is None else seal(payload_json, seq, sid, last, kind)
                digest = record_hash(
                    seq,
                    sid,
                    last,
                    ts=ts,
                    actor=actor,
                    kind=kind,
                    schema_version=version,
                    payload_json=stored,
                    prev_hash=prev,
                )
                # Subscribers get the plaintext; the row and its hash hold what is stored.
                record = make(
                    (seq, sid, last, ts, actor, kind, version, payload_json, prev, digest)
                )
                records.append(record)
                if seal is not None:
                    rows.append((seq, sid, last, ts, actor, kind, version, stored, prev, digest))
                if payload is not None:  # only kinds the projections read carry a payload
                    folded.append((record, payload, side))
                prev = digest
            conn.executemany(INSERT, rows)
            projection.apply(conn, records, folded, cipher=self._cipher)
            if self.search is not None:
                self.search.in_batch(conn, records, head=head[0] if head is not None else 0)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return records

    def _fail(self, queued: list[Queued], error: StoreError) -> None:
        for group in queued:
            if isinstance(group, Group) and group.future is not None and not group.future.done():
                group.future.set_exception(error)
        self._on_error(error)


def _resolve(future: Future[list[Record]], records: list[Record]) -> None:
    """Hand the caller its records; a caller that gave up (its awaiting task was cancelled,
    which cancels this future) must not kill the writer thread."""
    try:
        if not future.done():
            future.set_result(records)
    except InvalidStateError:  # cancelled between the check and the set
        pass
