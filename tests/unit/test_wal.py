"""The background WAL checkpointer: it checkpoints by commits and by events, and at stop."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sessions.store.engine import open_engine, writer_connection
from sessions.store.wal import WalCheckpointer


def test_checkpoints_follow_commits_and_events(db_path: Path) -> None:
    engine = open_engine(db_path)
    writer = writer_connection(engine)
    errors: list[str] = []
    wal = WalCheckpointer(
        lambda: writer_connection(engine),
        every_events=1000,
        every_commits=3,
        on_error=errors.append,
    )
    wal.start()
    for i in range(6):
        writer.execute("INSERT INTO session_memory VALUES (?, 'k', 'v', NULL)", (f"s{i}",))
        wal.committed(1)
    wal.stop()
    assert wal.checkpoints >= 1
    assert errors == []
    # Everything in the WAL has been copied into the database file.
    busy, frames, done = (
        sqlite3.connect(db_path).execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    )
    assert (busy, frames) == (0, done)
    writer.close()


def test_the_writer_connection_leaves_checkpoints_to_the_thread(db_path: Path) -> None:
    conn = writer_connection(open_engine(db_path))
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    assert conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
