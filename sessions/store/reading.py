"""Bulk reads of the log and its projections, through SQLAlchemy Core rows (never ORM objects)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Engine, func, select

from sessions.errors import AmbiguousSessionError, SessionNotFoundError
from sessions.schema.base import SYSTEM_SESSION
from sessions.store.crypto import MARKER, KeyMissingError, PayloadCipher, cipher_for, reveal
from sessions.store.record import Record
from sessions.store.sealing import open_value
from sessions.store.tables import EventRow, SessionRow

EVENT_TABLE = EventRow.__table__  # type: ignore[attr-defined]
SESSION_TABLE = SessionRow.__table__  # type: ignore[attr-defined]
_COLUMNS = (
    EVENT_TABLE.c.seq,
    EVENT_TABLE.c.session_id,
    EVENT_TABLE.c.session_seq,
    EVENT_TABLE.c.ts,
    EVENT_TABLE.c.actor,
    EVENT_TABLE.c.kind,
    EVENT_TABLE.c.schema_version,
    EVENT_TABLE.c.payload,
    EVENT_TABLE.c.prev_hash,
    EVENT_TABLE.c.hash,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionSummary:
    """One line of the session list, read from the projection; ``sealed`` when its title and
    workspace are encrypted and were not opened (they read as empty)."""

    session_id: str
    title: str
    state: str
    created_ts: str
    updated_ts: str
    event_count: int
    pending_approvals: int
    agents: int
    workspace: str | None
    sealed: bool = False


def revealer(engine: Engine, stored: bool) -> Callable[[Any], Record]:
    """Rows into records, decrypting sealed payloads unless ``stored`` asks for the bytes."""
    make = Record._make
    if stored:
        return make
    cipher = cipher_for(engine)

    def record(row: Any) -> Record:
        made = make(row)
        return reveal(made, cipher) if made[7].startswith(MARKER) else made

    return record


_SESSION_ROWS = (
    "SELECT seq, session_id, session_seq, ts, actor, kind, schema_version, payload, {hashes}"
    " FROM event WHERE session_id = ?{bounds} ORDER BY session_seq"
)


def load_session(
    engine: Engine,
    session_id: str,
    *,
    upto_seq: int | None = None,
    after_seq: int | None = None,
    stored: bool = False,
    hashes: bool = True,
) -> list[Record]:
    """Every record of one session in order (or those up to ``upto_seq``, or after
    ``after_seq``: the tail a snapshot leaves to fold): what replay and export start from.

    Encrypted payloads are decrypted with the cipher attached to ``engine``
    (``sessions.store.crypto.attach``); ``stored=True`` returns them as stored.
    ``hashes=False`` leaves ``prev_hash`` and ``hash`` empty, for readers that only fold (a
    third less to read and keep). Read through the driver's own cursor: a 100,000-event session
    is 0.2 s of SQLite, and SQLAlchemy's row processing would add as much again.
    """
    params: tuple[object, ...] = (session_id,)
    bounds = ""
    if upto_seq is not None:
        params += (upto_seq,)
        bounds += " AND seq <= ?"
    if after_seq is not None:
        params += (after_seq,)
        bounds += " AND seq > ?"
    columns = "prev_hash, hash" if hashes else "'', ''"
    sql = _SESSION_ROWS.format(hashes=columns, bounds=bounds)
    raw = engine.raw_connection()
    try:
        rows = raw.cursor().execute(sql, params).fetchall()
    finally:
        raw.close()
    make = revealer(engine, stored)
    return [make(row) for row in rows]


_SESSION_CHUNK = (
    "SELECT seq, session_id, session_seq, ts, actor, kind, schema_version, payload, prev_hash,"
    " hash FROM event WHERE session_id = ? AND session_seq > ? ORDER BY session_seq LIMIT ?"
)


def iter_session(engine: Engine, session_id: str, *, chunk: int = 5000) -> Iterator[list[Record]]:
    """One session's records in order, ``chunk`` at a time (decrypted): a console folds a
    session it shows without holding all its records at once. Each chunk is read from the
    records committed by then, so the chunks end at the session's last record at some moment;
    any record after it is committed after that moment."""
    make = revealer(engine, False)
    raw = engine.raw_connection()
    try:
        after = 0
        while rows := raw.cursor().execute(_SESSION_CHUNK, (session_id, after, chunk)).fetchall():
            yield [make(row) for row in rows]
            after = rows[-1][2]
    finally:
        raw.close()


def iter_log(
    engine: Engine, *, start_seq: int = 1, chunk: int = 5000, stored: bool = False
) -> Iterator[Record]:
    """The whole chain in ``seq`` order, read in chunks so memory stays flat (decrypted unless
    ``stored``: verification works on the stored bytes)."""
    after = start_seq - 1
    make = revealer(engine, stored)
    while True:
        query = (
            select(*_COLUMNS)
            .where(EVENT_TABLE.c.seq > after)
            .order_by(EVENT_TABLE.c.seq)
            .limit(chunk)
        )
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        if not rows:
            return
        for row in rows:
            yield make(row)
        after = rows[-1][0]


def read_after(engine: Engine, seq: int, limit: int) -> list[Record]:
    """At most ``limit`` records with ``seq`` past ``seq``, in order: a live view's tail read
    (decrypted, like :func:`load_session`)."""
    query = select(*_COLUMNS).where(EVENT_TABLE.c.seq > seq).order_by(EVENT_TABLE.c.seq)
    with engine.connect() as conn:
        rows = conn.execute(query.limit(limit)).all()
    make = revealer(engine, False)
    return [make(row) for row in rows]


class LogBounds(NamedTuple):
    """The number of records in the whole log and its first and last ``seq``; zeros when empty."""

    size: int
    first: int
    last: int


def log_bounds(engine: Engine) -> LogBounds:
    """The size and ``seq`` range of the whole log."""
    with engine.connect() as conn:
        count, low, high = conn.execute(
            select(func.count(), func.min(EVENT_TABLE.c.seq), func.max(EVENT_TABLE.c.seq))
        ).one()
    return LogBounds(int(count), int(low or 0), int(high or 0))


def session_head(engine: Engine, session_id: str) -> int:
    """The ``seq`` of a session's latest record; 0 when it has none."""
    query = select(func.max(EVENT_TABLE.c.seq)).where(EVENT_TABLE.c.session_id == session_id)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


def list_sessions(engine: Engine, *, keyless: bool = False) -> list[SessionSummary]:
    """Every session, oldest first, from the projection (no scan of the log).

    Titles and workspaces are opened with the cipher attached to ``engine``; a sealed one
    without a cipher raises :class:`~sessions.store.crypto.KeyMissingError`, unless ``keyless``
    asks for the summaries without them (``sealed`` set).
    """
    query = sessions_query().order_by(SESSION_TABLE.c.created_ts, SESSION_TABLE.c.session_id)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    cipher = cipher_for(engine)
    return [session_summary(row, cipher, keyless=keyless) for row in rows]


def sessions_query() -> Any:
    """The projection's rows of every session but the system one, for :func:`session_summary`."""
    query: Any = select(
        SESSION_TABLE.c.session_id,
        SESSION_TABLE.c.title,
        SESSION_TABLE.c.state,
        SESSION_TABLE.c.created_ts,
        SESSION_TABLE.c.updated_ts,
        SESSION_TABLE.c.event_count,
        SESSION_TABLE.c.pending_approvals,
        SESSION_TABLE.c.agents,
        SESSION_TABLE.c.workspace,
    )
    return query.where(SESSION_TABLE.c.session_id != SYSTEM_SESSION)


def session_summary(
    row: Any, cipher: PayloadCipher | None, *, keyless: bool = False
) -> SessionSummary:
    """A row of :func:`sessions_query`, its sealed columns opened with ``cipher``."""
    session_id, title, state, created, updated, events, pending, agents, workspace = row
    key = (session_id,)
    sealed = False
    try:
        title = open_value(cipher, title, "session", key=key, column="title")
        workspace = open_value(cipher, workspace, "session", key=key, column="workspace")
    except KeyMissingError:
        if not keyless:
            raise
        title, workspace, sealed = "", None, True
    return SessionSummary(
        session_id=session_id,
        title=title,
        state=state,
        created_ts=created,
        updated_ts=updated,
        event_count=events,
        pending_approvals=pending,
        agents=agents,
        workspace=workspace,
        sealed=sealed,
    )


def like_prefix(prefix: str) -> str:
    """A LIKE pattern (escape character ``\\``) matching strings that start with ``prefix``."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def resolve_session(engine: Engine, prefix: str) -> str:
    """The full id of the one session whose id starts with ``prefix``."""
    if not prefix:
        raise SessionNotFoundError("a session id (or a unique prefix of one) is required")
    query = (
        select(SESSION_TABLE.c.session_id)
        .where(SESSION_TABLE.c.session_id.like(like_prefix(prefix), escape="\\"))
        .limit(6)
    )
    with engine.connect() as conn:
        found = [row[0] for row in conn.execute(query)]
    if not found:
        raise SessionNotFoundError(f"no session matches {prefix!r}")
    if prefix in found:
        return prefix
    first: str = found[0]
    if len(found) > 1:
        shown = ", ".join(found[:5])
        raise AmbiguousSessionError(f"{prefix!r} matches several sessions: {shown}")
    return first


def session_exists(engine: Engine, session_id: str) -> bool:
    """Whether any record of ``session_id`` is in the log."""
    query = select(EVENT_TABLE.c.seq).where(EVENT_TABLE.c.session_id == session_id).limit(1)
    with engine.connect() as conn:
        return conn.execute(query).first() is not None


def records_of_kinds(
    engine: Engine, kinds: tuple[str, ...], *, session_id: str | None = None
) -> list[Record]:
    """The records of ``kinds`` (of one session, or of all), in ``seq`` order, decrypted."""
    query = select(*_COLUMNS).where(EVENT_TABLE.c.kind.in_(kinds))
    if session_id is not None:
        query = query.where(EVENT_TABLE.c.session_id == session_id)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(EVENT_TABLE.c.seq)).all()
    make = revealer(engine, False)
    return [make(row) for row in rows]
