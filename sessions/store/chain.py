"""The audit chain's arithmetic: canonical JSON, record hashes, the genesis link."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first record of every database."""

_SORTED = orjson.OPT_SORT_KEYS


def canonical_json(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no whitespace, UTF-8 (orjson's encoding of the value)."""
    return orjson.dumps(value, option=_SORTED)


def record_hash(
    seq: int,
    session_id: str,
    session_seq: int,
    *,
    ts: str,
    actor: str,
    kind: str,
    schema_version: int,
    payload_json: str | bytes,
    prev_hash: str,
) -> str:
    """SHA-256 of the canonical JSON of a record without its ``hash``.

    ``payload_json`` is the stored canonical text of the payload; it is embedded byte for byte,
    so any change to the stored payload, even one that keeps it equivalent JSON, breaks the hash.
    The writer calls it positionally, in the column order of the event table (it is hot).
    """
    record = {
        "actor": actor,
        "kind": kind,
        "payload": orjson.Fragment(payload_json),
        "prev_hash": prev_hash,
        "schema_version": schema_version,
        "seq": seq,
        "session_id": session_id,
        "session_seq": session_seq,
        "ts": ts,
    }
    # The literal above is already in sorted key order, so no sort option is needed (it costs).
    return hashlib.sha256(orjson.dumps(record)).hexdigest()
