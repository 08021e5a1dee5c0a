"""Writing reducer snapshots: in the background as sessions grow, and whatever a reader lacks.

The process that appends keeps them (``EventStore(..., snapshot_every=5000)``, as every
``quarterdeck`` process opens it): when a committed record is a session's 5,000th, 10,000th, …,
the writer thread only notes the session (a modulo per record) and :class:`SnapshotKeeper`'s
own thread folds the session from its newest snapshot through the records since (read back
from the database, so nothing is kept in memory between two snapshots) and stores the new
one. A reader that finds snapshots missing — a database older than them, a reducer that
changed, a process killed before its keeper caught up — stores the ones it had to fold past
(:func:`catch_up`), so the next open is fast.

Written outside the events' transaction (a cache, not a projection; see
``snapshot_rows``), each in a short ``BEGIN IMMEDIATE`` of its own; a failure is logged and
costs only speed.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Sequence

from sqlalchemy import Engine

from sessions.readmodel.snapshots import (
    EVERY,
    Snapshot,
    encode,
    fold_from,
    latest,
    matching,
    usable,
    version,
)
from sessions.schema.base import SYSTEM_SESSION
from sessions.store.crypto import cipher_for
from sessions.store.reading import load_session
from sessions.store.record import Record
from sessions.store.snapshot_rows import DDL, TABLE, read_snapshots, state_aad

log = logging.getLogger(__name__)


def save_snapshots(engine: Engine, session_id: str, snapshots: Sequence[Snapshot]) -> None:
    """Store ``snapshots`` of the session (sealed in an encrypted database), and drop its
    snapshots made by another reducer version."""
    if not snapshots:
        return
    current = version()
    cipher = cipher_for(engine)
    rows = []
    for snap in snapshots:
        blob = encode(snap.state)
        if cipher is not None:
            blob = cipher.seal_bytes(blob, state_aad(session_id, current, snap.upto_seq))
        rows.append((session_id, current, snap.upto_seq, snap.position, blob))
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(DDL)  # created by its first writer: no migration for older databases
        cursor.execute("BEGIN IMMEDIATE")
        try:
            cursor.execute(
                f"DELETE FROM {TABLE} WHERE session_id = ? AND version != ?", (session_id, current)
            )
            cursor.executemany(
                f"INSERT OR REPLACE INTO {TABLE} (session_id, version, upto_seq, position, state)"
                " VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
    finally:
        raw.close()


def catch_up(
    engine: Engine, session_id: str, records: Sequence[Record], *, every: int = EVERY
) -> list[Snapshot]:
    """Every snapshot of the session that ``records`` (all of them, in order) should have:
    the stored ones that check out, plus those missing, folded from the nearest earlier one
    and stored. What replay opens from."""
    have = usable(
        read_snapshots(engine, session_id, version()), session_id, matches=matching(records)
    )
    positions = {s.position for s in have}
    due = [p for p in range(every, len(records) + 1, every) if p not in positions]
    if not due:
        return have
    start = max((s for s in have if s.position < due[0]), key=lambda s: s.position, default=None)
    begin = start.position if start is not None else 0
    _, made = fold_from(
        start, records[begin : due[-1]], every=every, wanted=lambda p: p not in positions
    )
    try:
        save_snapshots(engine, session_id, made)
    except sqlite3.Error as exc:  # a read-only file, a busy writer: next time, then
        log.warning("snapshots of session %s not stored: %s", session_id, exc)
    return sorted([*have, *made], key=lambda s: s.position)


def keep_up(engine: Engine, session_id: str, *, every: int = EVERY) -> int:
    """Store the snapshots the session has passed since its newest one (read from the
    database); how many were stored."""
    start = latest(engine, session_id)
    after = start.upto_seq if start is not None else None
    tail = load_session(engine, session_id, after_seq=after, hashes=False)
    _, made = fold_from(start, tail, every=every)
    save_snapshots(engine, session_id, made)
    return len(made)


class SnapshotKeeper:
    """Stores each session's snapshots as it grows, on a thread of its own."""

    def __init__(self, engine: Engine, *, every: int = EVERY) -> None:
        self.engine = engine
        self.every = every
        self._due: dict[str, None] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.stored = 0
        """Snapshots stored so far (tests and benchmarks read it)."""

    def committed(self, records: Sequence[Record]) -> None:
        """Called by the writer after each commit: note the sessions that reached a multiple
        of ``every`` records (cheap: the work is the thread's)."""
        every = self.every
        due = [r.session_id for r in records if r.session_seq % every == 0]
        if not due:
            return
        with self._lock:
            self._due.update(dict.fromkeys(s for s in due if s != SYSTEM_SESSION))
            if self._thread is None and not self._stopping:
                self._thread = threading.Thread(
                    target=self._run, name="quarterdeck-snapshots", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            with self._lock:
                due, self._due = list(self._due), {}
                stopping = self._stopping
            for session_id in due:
                try:
                    self.stored += keep_up(self.engine, session_id, every=self.every)
                except Exception:  # a cache: the log is intact, replay folds further back
                    log.exception("snapshot of session %s not stored", session_id)
            if stopping and not self._due:
                return

    def close(self) -> None:
        """Store what is due, then stop the thread (after the writer has stopped)."""
        with self._lock:
            self._stopping = True
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join()
