"""The search index as a projection of the log: records in, FTS5 rows out, a watermark beside.

``search_state.indexed_seq`` says how far the index is exact: every record up to it is indexed,
none after it, and both change in one transaction. The writer indexes a batch in the
transaction that commits it when the index is caught up and the batch is small (the steady
state of a console); a flood (an import, a benchmark) is committed without, and the index
catches up afterwards in bounded transactions of its own — the writer's, when its queue is
empty, or a search's, before it queries. The same function indexes both ways, so the rows are
the same either way (docs/decisions.md D28).

Streamed messages arrive as many ``agent.message`` records. A run of chunks from one agent,
with nothing else of its session in between, is one row, extended as chunks arrive, so a word
or phrase split between two chunks is found. A row stops growing at :data:`MESSAGE_CAP`
characters (re-indexing a row costs its length); the next one starts with the previous row's
last words (:data:`OVERLAP`), so a phrase across that seam is found too. Each chunk was
redacted alone; a secret split between two chunks is whole only once they are joined, so a
joined row goes through the redactor again (``redact``) before it is written.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import orjson

from sessions.store.search_text import INDEXED_KINDS, MESSAGE_KIND, group_of, text_of
from sessions.store.tables import SEARCH_TABLES

MESSAGE_CAP = 600
"""Characters after which a message continues in a new row."""
OVERLAP = 80
"""Characters of a full row's end that start the next row of the same message."""

Indexable = tuple[int, str, int, str, str]
"""``(seq, session_id, session_seq, kind, payload JSON)`` of one record."""

Redact = Callable[[str], str]
"""The store's redactor for text (``EventStore.redact_text``)."""

_KINDS = tuple(sorted(INDEXED_KINDS))
_CATCH_UP = (
    "SELECT seq, session_id, session_seq, kind, payload FROM event"
    f" WHERE seq > ? AND seq <= ? AND kind IN ({', '.join('?' * len(_KINDS))}) ORDER BY seq"
)


@dataclass(slots=True)
class _Tail:
    """The message row a session's next chunk may extend."""

    row: int
    agent_id: str
    session_seq: int
    size: int


class _Rows:
    """The rows one run of records adds or extends, written at :meth:`flush`."""

    def __init__(self, conn: sqlite3.Connection, redact: Redact | None) -> None:
        self.conn = conn
        self.redact = redact
        self.tails: dict[str, _Tail | None] = {}
        self.changed_tails: set[str] = set()
        self.new: dict[int, list[str]] = {}
        self.groups: dict[int, str | None] = {}
        self.grown: dict[int, list[str]] = {}

    def add(self, record: Indexable, payload: object) -> None:
        seq, session_id, session_seq, kind, _ = record
        if kind == MESSAGE_KIND:
            self._message(seq, session_id, session_seq=session_seq, payload=payload)
            return
        text = text_of(kind, payload)
        if text:
            self.new[seq] = [text]
            self.groups[seq] = group_of(payload)

    def _tail(self, session_id: str) -> _Tail | None:
        if session_id not in self.tails:
            row = self.conn.execute(
                "SELECT row_seq, agent_id, session_seq, size FROM search_tail WHERE session_id = ?",
                (session_id,),
            ).fetchone()
            self.tails[session_id] = None if row is None else _Tail(*row)
        return self.tails[session_id]

    def _message(self, seq: int, session_id: str, *, session_seq: int, payload: object) -> None:
        text = text_of(MESSAGE_KIND, payload)
        agent = payload.get("agent_id") if isinstance(payload, dict) else None
        agent_id = agent if isinstance(agent, str) else ""
        tail = self._tail(session_id)
        prefix = ""
        if tail is not None and tail.agent_id == agent_id and tail.session_seq == session_seq - 1:
            if tail.size + len(text) <= MESSAGE_CAP:
                self._append(tail.row, text)
                tail.session_seq, tail.size = session_seq, tail.size + len(text)
                self.changed_tails.add(session_id)
                return
            prefix = overlap(self._text(tail.row))
        self.new[seq] = [prefix, text]
        self.groups[seq] = None
        self.tails[session_id] = _Tail(seq, agent_id, session_seq, len(prefix) + len(text))
        self.changed_tails.add(session_id)

    def _append(self, row: int, text: str) -> None:
        parts = self.new.get(row) or self.grown.get(row)
        if parts is None:  # a row of an earlier batch: its text so far, read once
            parts = self.grown[row] = [self._stored(row)]
        parts.append(text)

    def _text(self, row: int) -> str:
        parts = self.new.get(row) or self.grown.get(row)
        return "".join(parts) if parts is not None else self._stored(row)

    def _stored(self, row: int) -> str:
        found = self.conn.execute("SELECT body FROM search_text WHERE rowid = ?", (row,)).fetchone()
        return str(found[0]) if found is not None else ""

    def flush(self) -> int:
        """Write the rows; returns how many were added or changed."""
        conn = self.conn
        for row, parts in self.grown.items():
            conn.execute(
                "UPDATE search_text SET body = ? WHERE rowid = ?", (self._join(parts), row)
            )
        conn.executemany(
            "INSERT INTO search_text (rowid, body, grp) VALUES (?, ?, ?)",
            [(row, self._join(parts), self.groups[row]) for row, parts in self.new.items()],
        )
        conn.executemany(
            "INSERT OR REPLACE INTO search_tail (session_id, row_seq, agent_id, session_seq, size)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (sid, t.row, t.agent_id, t.session_seq, t.size)
                for sid in self.changed_tails
                if (t := self.tails[sid]) is not None
            ],
        )
        return len(self.grown) + len(self.new)

    def _join(self, parts: list[str]) -> str:
        text = "".join(parts)
        if self.redact is not None and sum(1 for part in parts if part) > 1:
            return self.redact(text)  # joined chunks: a secret may be whole only now
        return text


def overlap(text: str) -> str:
    """The end of a full row that starts the next one: whole words, at most :data:`OVERLAP`."""
    end = text[-OVERLAP:]
    if len(text) > OVERLAP:
        cut = end.find(" ")
        end = end[cut + 1 :] if cut >= 0 else end
    return end


def index_records(
    conn: sqlite3.Connection, records: Iterable[Indexable], *, redact: Redact | None = None
) -> int:
    """Index ``records`` (in ``seq`` order, after every record already indexed) inside the
    caller's transaction; records of kinds not indexed are skipped; joined message chunks go
    through ``redact``. Returns the rows touched."""
    rows = _Rows(conn, redact)
    loads = orjson.loads
    for record in records:
        if record[3] in INDEXED_KINDS:
            rows.add(record, loads(record[4]))
    return rows.flush()


def indexed_seq(conn: sqlite3.Connection) -> int:
    """How far the index is exact (0: nothing indexed yet)."""
    row = conn.execute("SELECT indexed_seq FROM search_state WHERE id = 1").fetchone()
    return int(row[0]) if row is not None else 0


def set_indexed_seq(conn: sqlite3.Connection, seq: int) -> None:
    """Move the watermark, inside the transaction that indexed up to ``seq``."""
    conn.execute("UPDATE search_state SET indexed_seq = ? WHERE id = 1", (seq,))


def has_index(conn: sqlite3.Connection) -> bool:
    """Whether this database has the index's tables (not when its SQLite lacks FTS5)."""
    found = conn.execute(
        "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('search_text', 'search_state')"
    ).fetchone()
    return bool(found and found[0] == 2)


def is_encrypted(conn: sqlite3.Connection) -> bool:
    """Whether payloads are sealed here: then nothing is indexed (the index would be plaintext)."""
    try:
        row = conn.execute("SELECT COUNT(*) FROM crypto_meta").fetchone()
    except sqlite3.OperationalError:  # never encrypted: the table is made by encryption
        return False
    return bool(row and row[0])


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a catch-up stands: indexed up to ``indexed_seq`` of a log ending at ``head``."""

    indexed_seq: int
    head: int

    @property
    def done(self) -> bool:
        """Whether the index covers the whole log."""
        return self.indexed_seq >= self.head


def catch_up_step(conn: sqlite3.Connection, *, span: int, redact: Redact | None = None) -> Progress:
    """Index the next ``span`` seqs of the log past the watermark, in one ``BEGIN IMMEDIATE``
    transaction of its own (idempotent: the watermark is read inside it)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        done = indexed_seq(conn)
        head_row = conn.execute("SELECT MAX(seq) FROM event").fetchone()
        head = int(head_row[0] or 0)
        upto = min(head, done + span)
        if upto > done:
            found = conn.execute(_CATCH_UP, (done, upto, *_KINDS)).fetchall()
            index_records(conn, found, redact=redact)
            set_indexed_seq(conn, upto)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return Progress(max(done, upto), head)


def forget(conn: sqlite3.Connection) -> None:
    """Empty the index inside the caller's transaction (a database being encrypted: its
    projections may hold no plaintext). Dropped, not deleted row by row: faster, and with
    ``secure_delete`` the freed pages are zeroed."""
    if not has_index(conn):
        return
    conn.execute("DROP TABLE search_text")
    conn.execute("DELETE FROM search_tail")
    conn.execute(SEARCH_TABLES[0])
    set_indexed_seq(conn, 0)
