"""What a console paints first, read in one snapshot: the session and approval projections,
the policy's records and the log's head.

The projections are written in the same transaction as the events they count, so read inside
one transaction they agree with each other and with the last ``seq`` read with them: a console
that starts from them and folds every record past that ``seq`` misses nothing and counts
nothing twice. A few small reads (indexed, or of the system session), whatever the size of the
log.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from sessions.schema.base import SYSTEM_SESSION
from sessions.store.approval_rows import (
    APPROVAL_TABLE,
    ApprovalView,
    approval_view,
    approvals_query,
)
from sessions.store.crypto import cipher_for
from sessions.store.reading import (
    EVENT_TABLE,
    SESSION_TABLE,
    SessionSummary,
    revealer,
    session_summary,
    sessions_query,
)
from sessions.store.record import Record

POLICY_KINDS = ("policy.reloaded", "policy.rejected")
"""What the system session records about the policy (the status bar's policy comes from them)."""

_COLUMNS = "seq, session_id, session_seq, ts, actor, kind, schema_version, payload, prev_hash, hash"
_POLICY = (
    f"SELECT {_COLUMNS} FROM event WHERE session_id = ? AND kind IN (?, ?) ORDER BY session_seq"
)
# Only a decision made before any reload names the policy (see the reducer): the first one.
_FIRST_DECISION = f"SELECT {_COLUMNS} FROM event WHERE kind = 'policy.decided' ORDER BY seq LIMIT 1"


@dataclass(frozen=True, slots=True, kw_only=True)
class Overview:
    """The projections and the log's head at one moment."""

    sessions: list[SessionSummary]
    """Every session but the system one, in the order they began."""
    pending: list[ApprovalView]
    """Every unanswered approval, oldest first."""
    policy: list[Record]
    """The policy's reloads and rejections, and the first decision, in ``seq`` order."""
    last_seq: int
    """The last ``seq`` of the log when the rest was read."""


def read_overview(engine: Engine) -> Overview:
    """The projections, the policy's records and the log's head, in one read transaction."""
    cipher = cipher_for(engine)
    make = revealer(engine, False)
    sessions = sessions_query().order_by(SESSION_TABLE.c.first_seq)
    pending = approvals_query().where(APPROVAL_TABLE.c.state == "pending")
    pending = pending.order_by(APPROVAL_TABLE.c.requested_seq)
    with engine.begin() as conn:  # BEGIN: one snapshot for every read below
        head = conn.execute(select(func.max(EVENT_TABLE.c.seq))).scalar() or 0
        summaries = [session_summary(row, cipher) for row in conn.execute(sessions)]
        approvals = [approval_view(row, cipher) for row in conn.execute(pending)]
        raw = conn.connection.driver_connection
        assert raw is not None
        policy = raw.execute(_POLICY, (SYSTEM_SESSION, *POLICY_KINDS)).fetchall()
        first = raw.execute(_FIRST_DECISION).fetchall()
    records = sorted((make(row) for row in policy + first), key=lambda r: r.seq)
    return Overview(sessions=summaries, pending=approvals, policy=records, last_seq=int(head))
