"""Has anything been committed since the last look? One SQLite pragma, no table read.

A console hears of its own process's commits from the store's subscription; commits of other
processes (a headless run in another terminal, ``quarterdeck approve``) only reach it by
reading the file. Reading the log's tail every half second woke a thread, checked out a
connection and ran a query each time, for nothing most of the time: an idle console spent half
a percent of a core on it. ``PRAGMA data_version`` changes when any other connection commits
to the database, in this process or another; asked on a connection of its own, it costs
microseconds, and the log is read only when it moved.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


class ChangeProbe:
    """Asks a database file, on a connection of its own, whether it changed since last asked."""

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._version = self._read()

    def _read(self) -> int:
        row = self._conn.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def changed(self) -> bool:
        """Whether another connection committed since the last call (or since it was made)."""
        version = self._read()
        moved, self._version = version != self._version, version
        return moved

    def close(self) -> None:
        """Close its connection."""
        self._conn.close()
