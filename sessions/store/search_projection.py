"""The writer's side of the search index: inside a batch's transaction when it can, after when not.

A batch is indexed in the transaction that commits it when the index is caught up (its
watermark is the head the batch follows) and the batch holds at most :data:`INLINE_MAX`
events: the steady state of a console, where the index never lags the log. A bigger batch (a
flood: an import, a benchmark) is committed without it, so indexing, which costs several times
what appending does, never slows the log down; the writer then catches the index up in bounded
steps whenever its queue is empty (docs/decisions.md D28). A failure of the index is logged
once and turns the index off in this writer; it never fails a batch of the log.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence

from sessions.store.record import Record
from sessions.store.search_index import (
    Redact,
    catch_up_step,
    has_index,
    index_records,
    indexed_seq,
    is_encrypted,
    set_indexed_seq,
)

log = logging.getLogger(__name__)

INLINE_MAX = 256
"""Largest batch indexed in its own transaction (about 10 ms of indexing at most)."""
STEP_SPAN = 500
"""Seqs of the log one catch-up step indexes: short enough that a durable append queued
meanwhile waits little for the writer."""


class SearchProjection:
    """Keeps ``search_text`` in step with what the writer commits."""

    def __init__(self, *, behind: bool, redact: Redact | None = None) -> None:
        self.behind = behind
        """The index lags the log: the writer calls :meth:`step` when it is idle."""
        self.redact = redact
        self.failed = False

    @classmethod
    def attach(
        cls, conn: sqlite3.Connection, *, sealing: bool, redact: Redact | None = None
    ) -> SearchProjection | None:
        """The projection for the writer's connection, or None where there is no index: a
        database without its tables (no FTS5) or whose payloads are sealed (an index would
        keep their text in plaintext)."""
        if sealing or not has_index(conn) or is_encrypted(conn):
            return None
        head = conn.execute("SELECT MAX(seq) FROM event").fetchone()[0] or 0
        return cls(behind=indexed_seq(conn) < head, redact=redact)

    def in_batch(self, conn: sqlite3.Connection, records: Sequence[Record], *, head: int) -> None:
        """Index ``records`` (following the log's ``head``) inside the writer's transaction,
        or leave them to :meth:`step`."""
        if self.failed:
            return
        if len(records) > INLINE_MAX or indexed_seq(conn) != head:
            self.behind = True
            return
        conn.execute("SAVEPOINT search_index")
        try:
            rows = [(r[0], r[1], r[2], r[5], r[7]) for r in records]
            index_records(conn, rows, redact=self.redact)
            set_indexed_seq(conn, records[-1].seq)
        except Exception as exc:  # the log commits regardless; search reports the error
            conn.execute("ROLLBACK TO search_index")
            self._fail(exc)
        finally:
            conn.execute("RELEASE search_index")

    def step(self, conn: sqlite3.Connection) -> int:
        """One catch-up transaction on the writer's idle connection; returns the events it
        covered. Not synced on its own (``synchronous=NORMAL``): the index and its watermark
        commit together, and the next commit of the log syncs both, or a crash loses both."""
        if self.failed:
            self.behind = False
            return 0
        conn.execute("PRAGMA synchronous=NORMAL")
        try:
            before = indexed_seq(conn)
            progress = catch_up_step(conn, span=STEP_SPAN, redact=self.redact)
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                self._fail(exc)
            return 0  # busy: another process writes; try again when idle next
        except Exception as exc:
            self._fail(exc)
            return 0
        finally:
            conn.execute("PRAGMA synchronous=FULL")
        self.behind = not progress.done
        return progress.indexed_seq - before

    def _fail(self, exc: BaseException) -> None:
        self.failed = True
        self.behind = False
        log.warning("the search index is off in this process: %s", exc)
