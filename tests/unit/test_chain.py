"""The chain's arithmetic: canonical JSON and the record hash, checked against the stdlib."""

from __future__ import annotations

import hashlib
import json

from hypothesis import given
from hypothesis import strategies as st

from sessions.store.chain import GENESIS_HASH, canonical_json, record_hash

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _stdlib_canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@given(json_values)
def test_canonical_json_is_sorted_compact_utf8(value: object) -> None:
    assert canonical_json(value) == _stdlib_canonical(value)


@given(
    payload=st.dictionaries(st.text(max_size=8), json_values, max_size=5), seq=st.integers(1, 2**62)
)
def test_record_hash_is_sha256_of_the_canonical_record(
    payload: dict[str, object], seq: int
) -> None:
    fields = {
        "seq": seq,
        "session_id": "sé",
        "session_seq": 3,
        "ts": "2026-01-01T00:00:00.000000Z",
        "actor": 'agent "1"',
        "kind": "agent.message",
        "schema_version": 1,
        "prev_hash": GENESIS_HASH,
    }
    expected = hashlib.sha256(_stdlib_canonical({**fields, "payload": payload})).hexdigest()
    got = record_hash(**fields, payload_json=canonical_json(payload).decode())  # type: ignore[arg-type]
    assert got == expected


def test_any_change_changes_the_hash() -> None:
    base = {
        "seq": 1,
        "session_id": "s",
        "session_seq": 1,
        "ts": "2026-01-01T00:00:00.000000Z",
        "actor": "a",
        "kind": "k",
        "schema_version": 1,
        "payload_json": '{"a":1}',
        "prev_hash": GENESIS_HASH,
    }
    reference = record_hash(**base)  # type: ignore[arg-type]
    for field, value in [("seq", 2), ("actor", "b"), ("payload_json", '{"a": 1}'), ("ts", "x")]:
        assert record_hash(**{**base, field: value}) != reference  # type: ignore[arg-type]
