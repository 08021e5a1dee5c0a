"""The table of reducer snapshots, and reading it (writing is ``snapshot_keeper``'s).

A cache beside the log, not a projection: written after the events it folds, outside their
transaction, never hashed, deletable at any time (``sessions/readmodel/snapshots.py`` folds
from the start without it). It is created by its first writer, so databases made before it
need no migration and readers treat its absence as "no snapshots". In an encrypted database
the state is sealed like the projections' content columns (D26): it holds titles, commands
and agents' output.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass

from sqlalchemy import Engine

from sessions.store.crypto import DecryptionError, KeyMissingError, cipher_for
from sessions.store.sealing import value_aad, where

log = logging.getLogger(__name__)

TABLE = "reducer_snapshot"
DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (session_id TEXT NOT NULL, version TEXT NOT NULL,"
    " upto_seq INTEGER NOT NULL, position INTEGER NOT NULL, state BLOB NOT NULL,"
    " PRIMARY KEY (session_id, version, upto_seq))"
)


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    """One row: the state (as ``sessions.readmodel.snapshots.encode`` made it, opened) after
    the session's first ``position`` records, the last of which is ``upto_seq``."""

    position: int
    upto_seq: int
    state: bytes


def state_aad(session_id: str, version: str, upto_seq: int) -> bytes:
    """What a sealed state is bound to: its table, row and column."""
    return value_aad(TABLE, (session_id, version, str(upto_seq)), "state")


def read_snapshots(engine: Engine, session_id: str, version: str) -> list[StoredSnapshot]:
    """The session's snapshots made by reducer ``version``, oldest first; a sealed one that
    does not open is left out, with a warning (the fold starts earlier)."""
    raw = engine.raw_connection()
    try:
        rows = (
            raw.cursor()
            .execute(
                f"SELECT position, upto_seq, state FROM {TABLE}"
                " WHERE session_id = ? AND version = ? ORDER BY upto_seq",
                (session_id, version),
            )
            .fetchall()
        )
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    finally:
        raw.close()
    cipher = cipher_for(engine)
    found: list[StoredSnapshot] = []
    for position, upto_seq, state in rows:
        if cipher is not None:
            aad = state_aad(session_id, version, upto_seq)
            name = where(TABLE, (session_id, version, str(upto_seq)), "state")
            try:
                state = cipher.open_bytes(state, aad, name)
            except (DecryptionError, KeyMissingError) as exc:
                log.warning("%s skipped: %s", name, exc)
                continue
        found.append(StoredSnapshot(position, upto_seq, bytes(state)))
    return found


def seq_at(engine: Engine, session_id: str, position: int) -> int | None:
    """The ``seq`` of the session's ``position``-th record (``session_seq`` counts from 1)."""
    raw = engine.raw_connection()
    try:
        row = (
            raw.cursor()
            .execute(
                "SELECT seq FROM event WHERE session_id = ? AND session_seq = ?",
                (session_id, position),
            )
            .fetchone()
        )
    finally:
        raw.close()
    return None if row is None else int(row[0])


def forget(conn: sqlite3.Connection) -> None:
    """Drop every snapshot inside the caller's transaction (a database being encrypted: no
    plaintext may stay beside sealed rows; they are rebuilt, sealed, from the log)."""
    conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
