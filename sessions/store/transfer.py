"""Export a session as JSON Lines and import one back, validating every line first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson
from pydantic import ValidationError
from sqlalchemy import Engine

from sessions.errors import ImportFileError
from sessions.schema.registry import KINDS, validate_event
from sessions.store.crypto import cipher_for, is_sealed, plaintext_hash, reveal
from sessions.store.event_store import EventStore
from sessions.store.reading import load_session, session_exists
from sessions.store.record import Record
from sessions.store.writer import Pending

MAX_LINE_BYTES = 16 * 1024 * 1024


def export_lines(records: Iterable[Record]) -> Iterable[bytes]:
    """Each record as one JSON line (valid against docs/schema/session-v1.schema.json)."""
    for record in records:
        yield orjson.dumps(record.to_dict(), option=orjson.OPT_SORT_KEYS) + b"\n"


def exported(engine: Engine, session_id: str) -> list[Record]:
    """A session's records as they are exported: plaintext payloads, and for a record that is
    stored encrypted, the hash of its plaintext (the stored hash covers the ciphertext, which
    an export does not carry; see docs/decisions.md D24)."""
    cipher = cipher_for(engine)
    records: list[Record] = []
    for record in load_session(engine, session_id, stored=True):
        if is_sealed(record.payload_json):
            record = reveal(record, cipher)
            record = record._replace(hash=plaintext_hash(record))
        records.append(record)
    return records


def export_session(engine: Engine, session_id: str, out: IO[bytes]) -> int:
    """Write one session to ``out`` as JSON Lines; returns how many records were written."""
    count = 0
    for line in export_lines(exported(engine, session_id)):
        out.write(line)
        count += 1
    return count


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportedSession:
    """What an import added to the database."""

    session_id: str
    events: int
    first_seq: int
    last_seq: int


def _problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"]]
    kind = loc.pop(0) if loc and loc[0] in KINDS else None
    where = ".".join(loc) or "record"
    return f"{where}: {error['msg']}" + (f" (a {kind} record)" if kind else "")


def read_import_file(path: Path) -> list[dict[str, Any]]:
    """Parse and validate every line; raises :class:`ImportFileError` naming the first bad one.

    Beyond the schema, a file must hold one session whose ``session_seq`` runs 1, 2, 3 …, and
    every record must rehash to its ``hash`` (an export that was edited is refused).
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror}") from exc
    records: list[dict[str, Any]] = []
    session_id: str | None = None
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        if len(line) > MAX_LINE_BYTES:
            raise ImportFileError(f"{where}: line longer than {MAX_LINE_BYTES} bytes")
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise ImportFileError(f"{where}: not valid JSON ({exc})") from exc
        try:
            event = validate_event(data)
        except ValidationError as exc:
            raise ImportFileError(f"{where}: {_problem(exc)}") from exc
        session_id = session_id or event.session_id
        if event.session_id != session_id:
            raise ImportFileError(
                f"{where}: session {event.session_id!r} differs from {session_id!r}"
                " (a file holds one session)"
            )
        if event.session_seq != len(records) + 1:
            raise ImportFileError(
                f"{where}: session_seq {event.session_seq}, expected {len(records) + 1}"
            )
        record = Record(
            event.seq,
            event.session_id,
            event.session_seq,
            event.ts,
            event.actor,
            event.kind,
            event.schema_version,
            orjson.dumps(data["payload"], option=orjson.OPT_SORT_KEYS).decode(),
            event.prev_hash,
            event.hash,
        )
        if record.computed_hash() != event.hash:
            raise ImportFileError(f"{where}: the record does not match its hash (edited?)")
        records.append(data)
    if not records:
        raise ImportFileError(f"{path}: no records")
    return records


def import_session(store: EventStore, path: Path) -> ImportedSession:
    """Validate the whole file, then append its session in one transaction, all or nothing."""
    records = read_import_file(path)
    session_id = records[0]["session_id"]
    if session_exists(store.engine, session_id):
        raise ImportFileError(f"session {session_id} is already in this database")
    items: list[Pending] = [
        store.pending_data(session_id, d["actor"], d["kind"], data=d["payload"], ts=d["ts"])
        for d in records
    ]
    committed = store.append_group(items).result()
    return ImportedSession(
        session_id=session_id,
        events=len(committed),
        first_seq=committed[0].seq,
        last_seq=committed[-1].seq,
    )
