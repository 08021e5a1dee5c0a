"""Searching everything that happened: the query language, ranking, snippets, filters.

A query is plain words (all must match), ``"quoted phrases"`` and ``prefix*`` words, nothing
else: whatever a user types is turned into an FTS5 expression that cannot be a syntax error
(every term is quoted), and one that still fails is a :class:`SearchQueryError`, one line.
Results are ranked by bm25, newest first among equals; the records of one tool call (request,
decision, intent, approval, escalation) are one result, at the first of them. Before it
queries, :func:`search` brings the index up to the log's head (docs/decisions.md D28).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from sessions.errors import QuarterdeckError
from sessions.store import projections
from sessions.store.engine import add_search_index, create_schema
from sessions.store.record import Record
from sessions.store.search_index import (
    Progress,
    Redact,
    catch_up_step,
    has_index,
    index_records,
    indexed_seq,
    is_encrypted,
    set_indexed_seq,
)
from sessions.store.writer import INSERT

CATCH_UP_SPAN = 5000
"""Seqs indexed per transaction when a search catches the index up."""
SNIPPET_TOKENS = 20
MARK_START, MARK_END = "\ue000", "\ue001"
"""Private-use characters around each match in a raw snippet; never shown."""


class SearchQueryError(QuarterdeckError):
    """A query with nothing to search for, or one the index cannot run."""


class SearchUnavailableError(QuarterdeckError):
    """This database keeps no search index; the message says why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchQuery:
    """What to look for, and where."""

    text: str
    session_id: str | None = None
    kind: str | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchHit:
    """One result: the record to open replay at, and the text that matched."""

    session_id: str
    seq: int
    session_seq: int
    ts: str
    actor: str
    kind: str
    title: str
    """The session's title."""
    snippet: str
    """The matching passage, on one line."""
    highlights: tuple[tuple[int, int], ...]
    """``(start, end)`` offsets of each match in ``snippet``."""
    score: float
    """bm25 relevance, higher is better."""

    def as_dict(self) -> dict[str, Any]:
        """The hit as ``quarterdeck search --json`` prints it."""
        return {
            "session_id": self.session_id,
            "seq": self.seq,
            "session_seq": self.session_seq,
            "ts": self.ts,
            "actor": self.actor,
            "kind": self.kind,
            "title": self.title,
            "snippet": self.snippet,
            "highlights": [list(span) for span in self.highlights],
            "score": self.score,
        }


_TERM = re.compile(r'"([^"]*)"?|(\S+)')
_WORDY = re.compile(r"[^\W_]")


def match_expression(text: str) -> str:
    """The FTS5 expression for a user's query: every term quoted, ANDed; ``word*`` a prefix.
    Terms with no letter or digit (``-``, ``&&``) are dropped: the index has no such tokens."""
    terms: list[str] = []
    for phrase, word in _TERM.findall(text.replace("\0", " ")):  # NUL ends a C string
        prefix = False
        if word:
            prefix = word.endswith("*")
            phrase = word.rstrip("*")
        if not _WORDY.search(phrase):
            continue
        quoted = '"' + phrase.replace('"', '""') + '"'
        terms.append(quoted + "*" if prefix else quoted)
    if not terms:
        raise SearchQueryError(
            f'nothing to search for in {text!r}: give a word, a "phrase" or a prefix*'
        )
    return " ".join(terms)


_HITS = """
WITH hits AS (
    SELECT rowid AS seq, grp, bm25(search_text) AS rank
    FROM search_text WHERE search_text MATCH :match
), found AS (
    SELECT h.seq, e.session_id, e.session_seq, e.ts, e.actor, e.kind,
           MIN(h.rank) OVER per_call AS best,
           ROW_NUMBER() OVER (PARTITION BY e.session_id, COALESCE(h.grp, h.seq) ORDER BY h.seq)
               AS nth
    FROM hits AS h JOIN event AS e ON e.seq = h.seq
    WHERE (:session IS NULL OR e.session_id = :session) AND (:kind IS NULL OR e.kind = :kind)
    WINDOW per_call AS (PARTITION BY e.session_id, COALESCE(h.grp, h.seq))
)
SELECT f.seq, f.session_id, f.session_seq, f.ts, f.actor, f.kind, f.best, s.title
FROM found AS f LEFT JOIN session AS s ON s.session_id = f.session_id
WHERE f.nth = 1
ORDER BY f.best, f.seq DESC
LIMIT :limit
"""


def query_index(conn: sqlite3.Connection, query: SearchQuery) -> list[SearchHit]:
    """Run ``query`` on an index as it stands (no catch-up)."""
    match = match_expression(query.text)
    params = {
        "match": match,
        "session": query.session_id,
        "kind": query.kind,
        "limit": max(1, query.limit),
    }
    try:
        rows = conn.execute(_HITS, params).fetchall()
        snippets = _snippets(conn, match, [row[0] for row in rows])
    except sqlite3.OperationalError as exc:
        raise SearchQueryError(f"cannot search for {query.text!r}: {exc}") from exc
    hits = []
    for seq, session_id, session_seq, ts, actor, kind, best, title in rows:
        snippet, spans = highlighted(snippets.get(seq, ""))
        hits.append(
            SearchHit(
                session_id=session_id,
                seq=seq,
                session_seq=session_seq,
                ts=ts,
                actor=actor,
                kind=kind,
                title=title if isinstance(title, str) else "",
                snippet=snippet,
                highlights=spans,
                score=round(-float(best), 4),
            )
        )
    return hits


def _snippets(conn: sqlite3.Connection, match: str, seqs: Sequence[int]) -> dict[int, str]:
    if not seqs:
        return {}
    sql = (
        f"SELECT rowid, snippet(search_text, 0, ?, ?, '…', {SNIPPET_TOKENS}) FROM search_text"
        f" WHERE search_text MATCH ? AND rowid IN ({', '.join('?' * len(seqs))})"
    )
    rows = conn.execute(sql, (MARK_START, MARK_END, match, *seqs)).fetchall()
    return {int(seq): str(text) for seq, text in rows}


_SPACE = re.compile(r"\s+")


def highlighted(raw: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A raw snippet on one line, its match markers taken out and returned as offsets."""
    text = _SPACE.sub(" ", raw).strip()
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    start = length = 0
    for char in text:
        if char == MARK_START:
            start = length
        elif char == MARK_END:
            spans.append((start, length))
        else:
            out.append(char)
            length += 1
    return "".join(out), tuple(spans)


def unavailable_reason(conn: sqlite3.Connection) -> str | None:
    """Why this database cannot be searched, or None when it can."""
    if is_encrypted(conn):
        return (
            "search is off for this database: it is encrypted ([storage] encrypt = true), and"
            " a full-text index would keep the text of its payloads in plaintext"
        )
    if not has_index(conn):
        return "search needs SQLite's FTS5 extension, which this Python's SQLite lacks"
    return None


def catch_up(
    conn: sqlite3.Connection,
    *,
    redact: Redact | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> Progress:
    """Index what the log holds past the watermark, in bounded transactions (not synced on
    their own: a crash loses a step and its watermark together, and a search redoes it)."""
    if progress is not None:
        start = Progress(indexed_seq(conn), _head(conn))
        if not start.done:  # before the first step: it may take a while
            progress(start)
    conn.execute("PRAGMA synchronous=NORMAL")
    try:
        while True:
            step = catch_up_step(conn, span=CATCH_UP_SPAN, redact=redact)
            if progress is not None:
                progress(step)
            if step.done:
                return step
    finally:
        conn.execute("PRAGMA synchronous=FULL")


def _head(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT MAX(seq) FROM event").fetchone()
    return int(row[0] or 0)


def search(
    engine: Engine,
    query: SearchQuery,
    *,
    redact: Redact | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> list[SearchHit]:
    """Bring the index up to the log's head (joined message chunks masked by ``redact``,
    the store's redactor), then run ``query``; ``progress`` hears of each catch-up step.
    :class:`SearchUnavailableError` where there is no index."""
    match_expression(query.text)  # a bad query fails before any indexing
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        assert isinstance(conn, sqlite3.Connection)
        if not has_index(conn) and not is_encrypted(conn):
            add_search_index(conn)  # an older database: its index is filled just below
        reason = unavailable_reason(conn)
        if reason is not None:
            raise SearchUnavailableError(reason)
        catch_up(conn, redact=redact, progress=progress)
        return query_index(conn, query)
    finally:
        raw.close()


def memory_index(records: Sequence[Record]) -> sqlite3.Connection:
    """An in-memory database holding ``records`` and their index: search over a fixed set
    of records (the console's scenes and benchmarks), through the same code as a real log."""
    conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    create_schema(conn)
    conn.execute("BEGIN")
    conn.executemany(INSERT, records)
    folded = [(r, r.payload, None) for r in records if r.kind in projections.FOLDED_KINDS]
    projections.apply(conn, records, folded)
    index_records(
        conn, [(r.seq, r.session_id, r.session_seq, r.kind, r.payload_json) for r in records]
    )
    set_indexed_seq(conn, records[-1].seq if records else 0)
    conn.execute("COMMIT")
    return conn
