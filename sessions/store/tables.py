"""SQLModel table models: the event log and the projections kept beside it.

In an encrypted database the projection columns that carry content hold sealed BLOBs, not the
``str`` declared here (``sessions/store/sealing.py`` names them); read them through
``sessions.store.reading``, ``sessions.store.approval_rows`` and ``sessions.store.memory``, which open them.
"""

from __future__ import annotations

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class EventRow(SQLModel, table=True):
    """The append-only, hash-chained event log: the single source of truth."""

    __tablename__ = "event"
    __table_args__ = (
        # No index on prev_hash or hash: they are random, so an index on either would rewrite
        # hundreds of pages per batch (see docs/decisions.md). Forks are prevented by reading
        # the head and inserting inside one BEGIN IMMEDIATE transaction.
        UniqueConstraint("session_id", "session_seq", name="uq_event_session_seq"),
    )

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    session_id: str
    session_seq: int
    ts: str
    actor: str
    kind: str
    schema_version: int
    payload: str
    prev_hash: str
    hash: str


class SessionRow(SQLModel, table=True):
    """Projection for fast listing, updated in the same transaction as the events it counts."""

    __tablename__ = "session"
    __table_args__ = (Index("ix_session_created", "created_ts"),)

    session_id: str = Field(primary_key=True)
    title: str = ""
    state: str = "created"
    workspace: str | None = None
    team: str | None = None
    created_ts: str
    updated_ts: str
    event_count: int = 0
    first_seq: int
    last_seq: int
    pending_approvals: int = 0
    agents: int = 0


class MemoryRow(SQLModel, table=True):
    """An agent's scratch value for one session; purged (and the purge logged) at completion."""

    __tablename__ = "session_memory"

    session_id: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    value: str
    expires_at: str | None = None


class ApprovalRow(SQLModel, table=True):
    """Projection of approvals: one row per request; the first resolution in the log wins."""

    __tablename__ = "approval"
    __table_args__ = (Index("ix_approval_state", "state"),)

    approval_id: str = Field(primary_key=True)
    session_id: str
    call_id: str
    requested_seq: int
    requested_ts: str
    agent_id: str
    role: str
    tool: str
    summary: str
    request: str
    owner: str | None = None
    state: str = "pending"
    resolved_seq: int | None = None
    resolved_ts: str | None = None
    decided_by: str | None = None
    reason: str = ""


class UsageCostRow(SQLModel, table=True):
    """Projection of ``agent.usage``: the latest running total of each agent's ACP session, per
    currency (ACP's cost is cumulative per ACP session, so the latest report replaces the last)."""

    __tablename__ = "usage_cost"

    session_id: str = Field(primary_key=True)
    agent_id: str = Field(primary_key=True)
    acp_session_id: str = Field(primary_key=True)
    currency: str = Field(primary_key=True)
    amount: float


class UsageSpendRow(SQLModel, table=True):
    """Projection of ``agent.usage``: each change of a running total, at its record's time — a
    day's spend, across sessions, is one indexed sum over these rows."""

    __tablename__ = "usage_spend"
    __table_args__ = (Index("ix_usage_spend_ts", "ts"),)

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    ts: str
    session_id: str
    currency: str
    delta: float


class LeaseRow(SQLModel, table=True):
    """Who drives a session now: one process at a time, until ``expires_at`` (epoch seconds).

    Not an event and not a projection: a lease is coordination between live processes, so it
    is updated in place. ``token`` grows with every acquisition (a fencing token);
    ``cancel_requested`` is how ``quarterdeck cancel`` asks the holder to stop.
    """

    __tablename__ = "session_lease"

    session_id: str = Field(primary_key=True)
    owner: str
    token: int
    expires_at: float
    cancel_requested: bool = False


TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS event_no_update BEFORE UPDATE ON event
       BEGIN SELECT RAISE(ABORT, 'the event log is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER IF NOT EXISTS event_no_delete BEFORE DELETE ON event
       BEGIN SELECT RAISE(ABORT, 'the event log is append-only: DELETE refused'); END""",
)
"""Refuse edits of the log. They stop accidents; the hash chain is what catches attackers."""


SEARCH_TABLES = (
    # One row per record worth finding (a streamed message: one row per message, see
    # sessions/store/search_index.py); rowid = the seq of the record that starts the row.
    # grp is the tool call a row belongs to, so one call's records are one search result.
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_text USING fts5(
       body, grp UNINDEXED, tokenize = 'unicode61 remove_diacritics 2')""",
    # Every record with seq <= indexed_seq is in search_text: the index is exact up to there.
    """CREATE TABLE IF NOT EXISTS search_state (id INTEGER PRIMARY KEY CHECK (id = 1),
       indexed_seq INTEGER NOT NULL)""",
    "INSERT OR IGNORE INTO search_state (id, indexed_seq) VALUES (1, 0)",
    # Per session, the message row that the session's next chunk may extend.
    """CREATE TABLE IF NOT EXISTS search_tail (session_id TEXT PRIMARY KEY,
       row_seq INTEGER NOT NULL, agent_id TEXT NOT NULL, session_seq INTEGER NOT NULL,
       size INTEGER NOT NULL)""",
)
"""The full-text search index, a projection of the log (docs/decisions.md D28). FTS5 tables
cannot be SQLModel models, so their DDL is kept here, beside the triggers."""
