"""Projection values sealed at rest: which columns carry user content, and how they are kept.

With encryption on, the text columns of the projections that carry what users and agents wrote
(:data:`SEALED_COLUMNS`) are stored as BLOBs sealed by :meth:`PayloadCipher.seal_bytes`, under
the same data keys as payloads. The associated data binds each value to its table, primary key
and column, so a value copied or swapped into another row or column fails to open and the
error names the row. The storage class tells the two apart without a marker a plaintext could
imitate: a sealed value is a BLOB, a plaintext one TEXT. Empty and NULL values stay as they are
(they say only that nothing was given, and the session upsert keeps a title by testing for
``''``).

Everything else stays plaintext because SQL filters, sorts, joins or counts on it, and none of
it is content: ids, states, timestamps, seqs, counts, agent ids, roles, tool names, the memory
key (part of the primary key, looked up by equality), the approval's owner (``host:pid``,
checked for liveness) and ``decided_by`` (the OS user, also the plaintext ``actor`` of the
resolving event).

Making a plaintext database encrypted seals its existing projection rows (:func:`reseal`) in
the transaction that creates its first data key, on a connection with ``secure_delete`` on, and
then truncates the WAL (:func:`scrub_wal`): the old plaintext survives neither in freed page
space nor in WAL frames (docs/decisions.md D26).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from sessions.store.crypto import KeyMissingError, PayloadCipher

log = logging.getLogger(__name__)

SEALED_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "session": ("title", "workspace", "team"),
    "approval": ("summary", "request", "reason"),
    "session_memory": ("value",),
}
"""Per projection table, the columns sealed when the database is encrypted."""

PRIMARY_KEYS: Mapping[str, tuple[str, ...]] = {
    "session": ("session_id",),
    "approval": ("approval_id",),
    "session_memory": ("session_id", "key"),
}
"""Per projection table, the primary key columns a sealed value is bound to."""

Sealer = Callable[[str | None, str, Sequence[str], str], "str | bytes | None"]
"""``(value, table, primary key values, column)`` → what to store (see :func:`sealer`)."""


def value_aad(table: str, key: Sequence[str], column: str) -> bytes:
    """The associated data of one projection value: where it belongs, unambiguously encoded."""
    return orjson.dumps(["qd-projection-v1", table, column, *key])


def where(table: str, key: Sequence[str], column: str) -> str:
    """How errors name a projection value: its table, row and column."""
    return f"{table} row {'/'.join(key)}, column {column}"


def sealer(cipher: PayloadCipher | None) -> Sealer:
    """A function giving the stored form of a value: sealed under ``cipher`` when there is
    one and the value is neither None nor empty, the value itself otherwise."""
    if cipher is None:
        return lambda value, _table, _key, _column: value

    def seal(  # noqa: PLR0917 - a Sealer, called positionally per projected value
        value: str | None, table: str, key: Sequence[str], column: str
    ) -> str | bytes | None:
        if not value:
            return value
        return cipher.seal_bytes(value.encode(), value_aad(table, key, column))

    return seal


def open_value(
    cipher: PayloadCipher | None, stored: Any, table: str, *, key: Sequence[str], column: str
) -> Any:
    """The plaintext of a stored projection value (TEXT and NULL are returned as they are).

    :class:`~sessions.store.crypto.KeyMissingError` when it is sealed and there is no cipher;
    :class:`~sessions.store.crypto.DecryptionError` naming the row when it does not open.
    """
    if not isinstance(stored, bytes):
        return stored
    if cipher is None:
        raise KeyMissingError(
            f"{where(table, key, column)} is encrypted and no key is loaded: open the database"
            " through quarterdeck with the keyring that holds its key (quarterdeck doctor"
            " checks it)"
        )
    aad = value_aad(table, key, column)
    return cipher.open_bytes(stored, aad, where(table, key, column)).decode()


def reseal(conn: sqlite3.Connection, cipher: PayloadCipher) -> int:
    """Seal every plaintext value of :data:`SEALED_COLUMNS`, inside the caller's transaction;
    returns how many rows changed. Values already sealed are left alone."""
    seal = sealer(cipher)
    changed = 0
    for table, columns in SEALED_COLUMNS.items():
        key_columns = PRIMARY_KEYS[table]
        plain = " OR ".join(f"(typeof({c}) = 'text' AND {c} != '')" for c in columns)
        rows = conn.execute(
            f"SELECT {', '.join(key_columns + columns)} FROM {table} WHERE {plain}"
        ).fetchall()
        assignments = ", ".join(f"{c} = ?" for c in columns)
        match = " AND ".join(f"{c} = ?" for c in key_columns)
        for row in rows:
            key = tuple(row[: len(key_columns)])
            values = [
                value if isinstance(value, bytes) else seal(value, table, key, column)
                for column, value in zip(columns, row[len(key_columns) :], strict=True)
            ]
            conn.execute(f"UPDATE {table} SET {assignments} WHERE {match}", (*values, *key))
            changed += 1
    return changed


def scrub_wal(conn: sqlite3.Connection, name: str) -> bool:
    """Copy the WAL into the database file and truncate it, so frames holding overwritten
    plaintext are gone; False (and a warning) when another connection's read kept it from
    completing, in which case the next checkpoint that completes does it."""
    busy, _frames, _copied = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        log.warning(
            "%s: another process is reading, so the WAL could not be truncated; the"
            " plaintext of projection rows sealed just now may stay in its WAL until the next"
            " checkpoint completes",
            name,
        )
    return not busy
