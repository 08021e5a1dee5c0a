"""WAL checkpoints on their own thread, so the writer's commits only ever sync the WAL.

SQLite's automatic checkpoint runs inside whichever commit pushes the WAL past 1,000 pages,
copying pages into the database file and syncing it: the writer stalls for it. Here the writer
only counts what it committed and nudges this thread, which runs ``wal_checkpoint(PASSIVE)`` on
a connection of its own. PASSIVE never takes the write lock, so commits go on meanwhile.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class WalCheckpointer:
    """Runs a passive checkpoint after ``every_events`` events or ``every_commits`` commits.

    Counting commits matters as much as events: once a checkpoint has caught up, the next writer
    rewrites the WAL from its start, in place. A WAL that only grows makes every fsync persist a
    new file size too, which slowed single durable commits by a third.
    """

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        *,
        every_events: int = 10_000,
        every_commits: int = 250,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self._connect = connect
        self._every_events = every_events
        self._every_commits = every_commits
        self._on_error = on_error
        self._events = 0
        self._commits = 0
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="quarterdeck-wal", daemon=True)
        self.checkpoints = 0

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def committed(self, events: int) -> None:
        """Called by the writer after each commit; wakes the thread when enough has piled up."""
        self._events += events
        self._commits += 1
        if self._events >= self._every_events or self._commits >= self._every_commits:
            self._events = self._commits = 0
            self._wake.set()

    def stop(self) -> None:
        """Run a last checkpoint and stop."""
        self._stopping = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        conn = self._connect()
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self.checkpoints += 1
                except sqlite3.Error as exc:  # the WAL keeps growing; say so, try next time
                    message = f"WAL checkpoint failed: {exc}"
                    log.warning(message)
                    if self._on_error is not None:
                        self._on_error(message)
                if self._stopping:
                    return
        finally:
            conn.close()
