"""``Record``: one committed row of the event log, as every reader receives it."""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson

from sessions.store.chain import record_hash


class Record(NamedTuple):
    """A committed event. The payload stays JSON text until someone asks for it."""

    seq: int
    session_id: str
    session_seq: int
    ts: str
    actor: str
    kind: str
    schema_version: int
    payload_json: str
    prev_hash: str
    hash: str

    @property
    def payload(self) -> Any:
        """The payload parsed from its canonical JSON."""
        return orjson.loads(self.payload_json)

    def computed_hash(self) -> str:
        """The hash this record's content should have; differs from ``hash`` if tampered."""
        return record_hash(
            seq=self.seq,
            session_id=self.session_id,
            session_seq=self.session_seq,
            ts=self.ts,
            actor=self.actor,
            kind=self.kind,
            schema_version=self.schema_version,
            payload_json=self.payload_json,
            prev_hash=self.prev_hash,
        )

    def to_dict(self) -> dict[str, Any]:
        """The record as exported (JSON Lines): the envelope with the payload as an object."""
        return {
            "seq": self.seq,
            "session_id": self.session_id,
            "session_seq": self.session_seq,
            "ts": self.ts,
            "actor": self.actor,
            "kind": self.kind,
            "schema_version": self.schema_version,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }
