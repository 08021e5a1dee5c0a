"""The data keys of an encrypted database, wrapped, and the state of a key rotation.

Envelope encryption: payloads are sealed with *data keys* (``crypto_key``), each stored only
wrapped (AES-GCM) by the database's *key-encryption key* (KEK), which lives in the OS keyring,
never on disk. ``crypto_meta`` (one row) names the database (``db_id``, part of the KEK's name),
the KEK version that wraps every data key, and the progress of a rotation:

* ``pending_version``/``pending_owner`` — a rotation to that version has begun (its new KEK may
  or may not be in the keyring yet);
* ``retired_version`` — a rotation has committed; that old KEK may still be in the keyring.

Every change here is one ``BEGIN IMMEDIATE`` transaction, so a SIGKILL leaves either the old
state or the new one. The event log itself is never touched: rotation rewraps data keys only,
and keeps every one of them, so payloads and projection values sealed under an older data key
still open (nothing needs re-sealing).
"""

from __future__ import annotations

import base64
import binascii
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine

from sessions.errors import StoreError
from sessions.store import sealing, search_index, snapshot_rows
from sessions.store.crypto import KEY_BYTES, NONCE_BYTES, DecryptionError, PayloadCipher
from sessions.store.engine import writer_connection

TABLES = (
    "CREATE TABLE IF NOT EXISTS crypto_meta (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " db_id TEXT NOT NULL, kek_version INTEGER NOT NULL, pending_version INTEGER,"
    " pending_owner TEXT, retired_version INTEGER)",
    "CREATE TABLE IF NOT EXISTS crypto_key (key_id INTEGER PRIMARY KEY,"
    " kek_version INTEGER NOT NULL, wrapped TEXT NOT NULL)",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyState:
    """What ``crypto_meta`` and ``crypto_key`` hold."""

    db_id: str
    kek_version: int
    pending_version: int | None
    pending_owner: str | None
    retired_version: int | None
    wrapped: dict[int, str]

    @property
    def current_key(self) -> int:
        """The data key new payloads are sealed with: the newest."""
        return max(self.wrapped)


def new_key() -> bytes:
    """32 random bytes: a fresh KEK or data key."""
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def _wrap_aad(db_id: str, key_id: int) -> bytes:
    return f"qd-data-key-v1\0{db_id}\0{key_id}".encode()


def wrap(kek: bytes, dek: bytes, db_id: str, *, key_id: int) -> str:
    """Data key ``key_id`` sealed by ``kek`` (bound to the database and the key's id)."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(kek).encrypt(nonce, dek, _wrap_aad(db_id, key_id))
    return base64.b64encode(nonce + sealed).decode()


def unwrap(kek: bytes, wrapped: str, db_id: str, *, key_id: int, kek_version: int) -> bytes:
    """Open a wrapped data key; :class:`DecryptionError` when the KEK is not the one."""
    try:
        blob = base64.b64decode(wrapped, validate=True)
        return AESGCM(kek).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], _wrap_aad(db_id, key_id))
    except (InvalidTag, binascii.Error, ValueError) as exc:
        raise DecryptionError(
            f"data key {key_id} of database {db_id} does not unwrap with key-encryption key"
            f" version {kek_version} from the keyring (a different keyring, or a damaged key?)"
        ) from exc


@contextmanager
def _immediate(engine: Engine) -> Iterator[sqlite3.Connection]:
    conn = writer_connection(engine)
    try:
        # Zero what these transactions overwrite (plaintext projection values, data keys
        # wrapped by a retired KEK) instead of leaving it in freed space: SQLite's default
        # depends on how it was built.
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.close()


def _read(conn: sqlite3.Connection) -> KeyState | None:
    found = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'crypto_meta'"
    ).fetchone()
    if found is None:
        return None
    meta = conn.execute(
        "SELECT db_id, kek_version, pending_version, pending_owner, retired_version"
        " FROM crypto_meta WHERE id = 1"
    ).fetchone()
    if meta is None:
        return None
    wrapped = dict(conn.execute("SELECT key_id, wrapped FROM crypto_key").fetchall())
    if not wrapped:
        raise StoreError(f"database {meta[0]} is encrypted but holds no data key (damaged?)")
    return KeyState(
        db_id=meta[0],
        kek_version=meta[1],
        pending_version=meta[2],
        pending_owner=meta[3],
        retired_version=meta[4],
        wrapped=wrapped,
    )


def read_state(engine: Engine) -> KeyState | None:
    """The key state, or None when the database has never been encrypted."""
    conn = writer_connection(engine)
    try:
        return _read(conn)
    finally:
        conn.close()


def initialize(engine: Engine, db_id: str, kek: bytes, *, step: Step | None = None) -> int:
    """Make the database encrypted: its meta row, a first data key wrapped by ``kek`` v1, and
    the projection rows written so far sealed with it (the search index, plaintext by nature,
    emptied); returns how many rows were sealed.

    One transaction: a database is never encrypted with plaintext projections beside it. The
    KEK must already be in the keyring: a crash before this commits leaves an unused key there
    and a database that is still plaintext, never a database whose key is lost. The WAL is
    truncated before (so no older frame holds plaintext) and after (so the old pages in the
    file are overwritten at once; killed in between, the next checkpoint does it). Log rows
    written before stay as written: the log is append-only.
    """
    _scrub(engine)
    dek = new_key()
    with _immediate(engine) as conn:
        for ddl in TABLES:
            conn.execute(ddl)
        if _read(conn) is not None:
            raise StoreError("the database is already encrypted")
        conn.execute("INSERT INTO crypto_meta (id, db_id, kek_version) VALUES (1, ?, 1)", (db_id,))
        conn.execute(
            "INSERT INTO crypto_key (key_id, kek_version, wrapped) VALUES (1, 1, ?)",
            (wrap(kek, dek, db_id, key_id=1),),
        )
        sealed = sealing.reseal(conn, PayloadCipher({1: dek}, 1))
        search_index.forget(conn)  # its text is plaintext, and nothing sealed is indexed
        snapshot_rows.forget(conn)  # rebuilt, sealed, from the log when next needed
    if step is not None:
        step("sealed")
    _scrub(engine)
    return sealed


def _scrub(engine: Engine) -> None:
    conn = writer_connection(engine)
    try:
        sealing.scrub_wal(conn, str(engine.url.database))
    finally:
        conn.close()


def begin_rotation(engine: Engine, expected: int, owner: str) -> int:
    """Record that a rotation from KEK ``expected`` has begun; returns the new version."""
    with _immediate(engine) as conn:
        state = _read(conn)
        if state is None:
            raise StoreError("the database is not encrypted: there is no key to rotate")
        if state.pending_version is not None:
            raise StoreError(
                f"a key rotation to version {state.pending_version} is already in progress"
                f" ({state.pending_owner})"
            )
        if state.kek_version != expected:
            raise StoreError("the key was rotated by another process meanwhile; try again")
        version = state.kek_version + 1
        conn.execute(
            "UPDATE crypto_meta SET pending_version = ?, pending_owner = ? WHERE id = 1",
            (version, owner),
        )
    return version


def commit_rotation(engine: Engine, old_kek: bytes, new_kek: bytes) -> None:
    """In one transaction: rewrap every data key from the current KEK to the pending one, add a
    fresh data key for new payloads, and make the pending version current (the old one
    retired)."""
    with _immediate(engine) as conn:
        state = _read(conn)
        if state is None or state.pending_version is None:
            raise StoreError("no key rotation is in progress")
        old, new = state.kek_version, state.pending_version
        for key_id, wrapped in state.wrapped.items():
            dek = unwrap(old_kek, wrapped, state.db_id, key_id=key_id, kek_version=old)
            conn.execute(
                "UPDATE crypto_key SET kek_version = ?, wrapped = ? WHERE key_id = ?",
                (new, wrap(new_kek, dek, state.db_id, key_id=key_id), key_id),
            )
        fresh = state.current_key + 1
        conn.execute(
            "INSERT INTO crypto_key (key_id, kek_version, wrapped) VALUES (?, ?, ?)",
            (fresh, new, wrap(new_kek, new_key(), state.db_id, key_id=fresh)),
        )
        conn.execute(
            "UPDATE crypto_meta SET kek_version = ?, pending_version = NULL,"
            " pending_owner = NULL, retired_version = ? WHERE id = 1",
            (new, old),
        )


def abandon_rotation(engine: Engine) -> None:
    """Forget a rotation that never committed (its new KEK is not needed)."""
    with _immediate(engine) as conn:
        conn.execute(
            "UPDATE crypto_meta SET pending_version = NULL, pending_owner = NULL WHERE id = 1"
        )


def forget_retired(engine: Engine) -> None:
    """Record that the retired KEK is gone from the keyring."""
    with _immediate(engine) as conn:
        conn.execute("UPDATE crypto_meta SET retired_version = NULL WHERE id = 1")


def unwrap_all(state: KeyState, kek: bytes) -> dict[int, bytes]:
    """Every data key, opened with the current KEK."""
    return {
        key_id: unwrap(kek, wrapped, state.db_id, key_id=key_id, kek_version=state.kek_version)
        for key_id, wrapped in state.wrapped.items()
    }


Step = Callable[[str], None]
"""Told the name of each step of a rotation, or of making a database encrypted, as it is
reached (tests crash a child there)."""
