"""Encryption at rest: AES-256-GCM under per-database data keys, for payloads and projections.

A sealed payload is stored in the ``payload`` column as a JSON *string* (every plaintext payload
is a JSON object, so the two never meet): ``"qdenc1:<key id>:<base64 of nonce ‖ ciphertext>"``.
The nonce is 96 random bits, fresh for every row. The associated data is the row's identity —
``seq``, ``session_id``, ``session_seq`` and ``kind`` — so a ciphertext copied or swapped into
another row fails to decrypt, and the error names the row.

The hash chain covers the stored text, ciphertext included (docs/decisions.md D24), so
``audit verify`` needs no key. Readers hand decrypted records on; which cipher belongs to which
engine is kept here (:func:`attach`) so every reader of one database decrypts the same way.
:meth:`PayloadCipher.seal_bytes` seals any value under the same keys as a self-describing blob;
the projections use it (``sessions/store/sealing.py``).
"""

from __future__ import annotations

import base64
import binascii
import os
import weakref
from collections.abc import Mapping

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine

from sessions.errors import StoreError
from sessions.store.chain import record_hash
from sessions.store.record import Record

MARKER = '"qdenc1:'
"""How every sealed payload's stored text starts."""

KEY_BYTES = 32
NONCE_BYTES = 12
BLOB_FORMAT = 1
"""The first byte of every :meth:`PayloadCipher.seal_bytes` blob."""
_BLOB_HEAD = 5  # the format byte and a 4-byte data key id


class DecryptionError(StoreError):
    """A sealed payload cannot be opened: wrong key, moved from another row, or altered."""


class KeyMissingError(StoreError):
    """The database holds encrypted payloads but no key was given to read them."""


def row_aad(seq: int, session_id: str, session_seq: int, *, kind: str) -> bytes:
    """The associated data of one row: its identity, unambiguously encoded."""
    return orjson.dumps([seq, session_id, session_seq, kind])


def is_sealed(payload_json: str) -> bool:
    """Whether a stored payload is ciphertext."""
    return payload_json.startswith(MARKER)


class PayloadCipher:
    """Seals and opens payloads with the database's data keys (``key id → 32-byte key``).

    New payloads are sealed with ``current``; any known key opens what it sealed.
    """

    def __init__(self, keys: Mapping[int, bytes], current: int) -> None:
        if current not in keys:
            raise ValueError(f"data key {current} is not among the keys given")
        self._aead = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self.current = current
        self._seal_with = self._aead[current]
        self._prefix = f"{MARKER}{current}:"
        self._blob_head = bytes([BLOB_FORMAT]) + current.to_bytes(4, "big")

    def seal(  # noqa: PLR0917 - a Seal, called positionally per appended event
        self, payload_json: str, seq: int, session_id: str, session_seq: int, kind: str
    ) -> str:
        """The stored text for ``payload_json`` in the row so identified."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._seal_with.encrypt(
            nonce, payload_json.encode(), row_aad(seq, session_id, session_seq, kind=kind)
        )
        return f'{self._prefix}{base64.b64encode(nonce + sealed).decode()}"'

    def open(self, record: Record) -> str:
        """The plaintext payload JSON of a sealed record; :class:`DecryptionError` naming the
        row when it does not open."""
        where = f"seq {record.seq} (session {record.session_id}, {record.kind})"
        try:
            key_text, _, blob_text = record.payload_json[len(MARKER) : -1].partition(":")
            aead = self._aead.get(int(key_text))
            blob = base64.b64decode(blob_text, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise DecryptionError(f"{where}: the sealed payload is malformed ({exc})") from exc
        if aead is None:
            raise DecryptionError(f"{where}: sealed with data key {key_text}, which is unknown")
        aad = row_aad(record.seq, record.session_id, record.session_seq, kind=record.kind)
        try:
            plain = aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
        except InvalidTag as exc:
            raise DecryptionError(
                f"{where}: the payload does not decrypt — it was altered, or moved here from"
                " another row"
            ) from exc
        return plain.decode()

    def seal_bytes(self, plain: bytes, aad: bytes) -> bytes:
        """``plain`` sealed with the current data key under ``aad``, as one self-describing
        blob: a format byte, the data key id (4 bytes), the nonce, the ciphertext and tag."""
        nonce = os.urandom(NONCE_BYTES)
        return self._blob_head + nonce + self._seal_with.encrypt(nonce, plain, aad)

    def open_bytes(self, blob: bytes, aad: bytes, where: str) -> bytes:
        """The plaintext of a :meth:`seal_bytes` blob; :class:`DecryptionError` starting with
        ``where`` (the row and column) when it does not open."""
        if len(blob) < _BLOB_HEAD + NONCE_BYTES or blob[0] != BLOB_FORMAT:
            raise DecryptionError(f"{where}: the sealed value is malformed")
        key_id = int.from_bytes(blob[1:_BLOB_HEAD], "big")
        aead = self._aead.get(key_id)
        if aead is None:
            raise DecryptionError(f"{where}: sealed with data key {key_id}, which is unknown")
        nonce = blob[_BLOB_HEAD : _BLOB_HEAD + NONCE_BYTES]
        try:
            return aead.decrypt(nonce, blob[_BLOB_HEAD + NONCE_BYTES :], aad)
        except InvalidTag as exc:
            raise DecryptionError(
                f"{where}: the value does not decrypt — it was altered, or moved here from"
                " another row or column"
            ) from exc


_CIPHERS: weakref.WeakKeyDictionary[Engine, PayloadCipher] = weakref.WeakKeyDictionary()


def attach(engine: Engine, cipher: PayloadCipher | None) -> None:
    """Make every reader of ``engine`` decrypt with ``cipher`` (None detaches)."""
    if cipher is None:
        _CIPHERS.pop(engine, None)
    else:
        _CIPHERS[engine] = cipher


def cipher_for(engine: Engine) -> PayloadCipher | None:
    """The cipher attached to ``engine``, if any."""
    return _CIPHERS.get(engine)


def reveal(record: Record, cipher: PayloadCipher | None) -> Record:
    """``record`` with its payload decrypted (itself when it was not sealed).

    The ``hash`` stays the stored one: it identifies the row in the chain, which covers the
    ciphertext. :class:`KeyMissingError` when the record is sealed and there is no cipher.
    """
    if not record.payload_json.startswith(MARKER):
        return record
    if cipher is None:
        raise KeyMissingError(
            f"seq {record.seq} is encrypted and no key is loaded: open the database through"
            " quarterdeck with the keyring that holds its key (quarterdeck doctor checks it)"
        )
    return record._replace(payload_json=cipher.open(record))


def plaintext_hash(record: Record) -> str:
    """The hash a revealed record would have had unencrypted (what an export carries)."""
    return record_hash(
        record.seq,
        record.session_id,
        record.session_seq,
        ts=record.ts,
        actor=record.actor,
        kind=record.kind,
        schema_version=record.schema_version,
        payload_json=record.payload_json,
        prev_hash=record.prev_hash,
    )
