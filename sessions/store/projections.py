"""Projections folded inside the writer's transaction: the session list, session memory and
what agents cost (:mod:`sessions.store.usage_projection`).

They are derived from the log (and rebuilt from it if lost), but kept in step with it by being
written in the same ``BEGIN IMMEDIATE`` transaction as the events they count. When the writer
seals payloads, the columns that carry content are sealed too (``sessions/store/sealing.py``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from sessions.store.crypto import PayloadCipher
from sessions.store.record import Record
from sessions.store.sealing import Sealer, sealer
from sessions.store.usage_projection import USAGE_KIND, apply_usage


@dataclass(slots=True, kw_only=True)
class _SessionDelta:
    first: Record
    last: Record
    count: int = 0
    created: dict[str, Any] | None = None
    state: str | None = None
    agents: int = 0
    memory_ops: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    approvals: list[tuple[Record, Any]] = field(default_factory=list)


_STATE_KINDS = {"session.state_changed": "to_state", "session.finished": "outcome"}

FOLDED_KINDS = frozenset(
    {"session.created", "approval.requested", "approval.resolved", "agent.started"}
    | {"memory.set", "memory.purged", USAGE_KIND}
    | set(_STATE_KINDS)
)
"""Kinds whose payload the projections read; the writer keeps no payload object for others."""

_UPSERT = (
    "INSERT INTO session (session_id, title, state, workspace, team, created_ts, updated_ts,"
    " event_count, first_seq, last_seq, pending_approvals, agents)"
    " VALUES (?, ?, COALESCE(?, 'created'), ?, ?, ?, ?, ?, ?, ?, MAX(0, ?), ?)"
    " ON CONFLICT (session_id) DO UPDATE SET"
    # A sealed title is a BLOB, never equal to '': a batch without session.created keeps it.
    " title = CASE WHEN excluded.title != '' THEN excluded.title ELSE session.title END,"
    " workspace = COALESCE(excluded.workspace, session.workspace),"
    " team = COALESCE(excluded.team, session.team),"
    " state = COALESCE(?, session.state),"
    " updated_ts = excluded.updated_ts,"
    " event_count = session.event_count + excluded.event_count,"
    " last_seq = excluded.last_seq,"
    " pending_approvals = MAX(0, session.pending_approvals + ?),"
    " agents = session.agents + excluded.agents"
)


def _fold(delta: _SessionDelta, record: Record, payload: Any, *, side: Any) -> None:
    kind = record.kind
    if kind == "session.created":
        delta.created = payload
    elif kind in _STATE_KINDS:
        delta.state = payload[_STATE_KINDS[kind]]
    elif kind in ("approval.requested", "approval.resolved"):
        delta.approvals.append((record, payload))
    elif kind == "agent.started":
        delta.agents += 1
    elif kind == "memory.set" and isinstance(side, str):
        delta.memory_ops.append((payload["key"], side, payload.get("expires_at")))
    elif kind == "memory.purged":
        delta.memory_ops.extend((key, None, None) for key in payload["keys"])


def apply(
    conn: sqlite3.Connection,
    records: Sequence[Record],
    folded: Sequence[tuple[Record, Any, Any]],
    *,
    cipher: PayloadCipher | None = None,
) -> None:
    """Fold a batch into the projections: counts from every record, the rest from ``folded``,
    the ``(record, payload, side value)`` of the kinds in :data:`FOLDED_KINDS`; content
    columns are sealed with ``cipher`` when one is given."""
    seal = sealer(cipher)
    deltas: dict[str, _SessionDelta] = {}
    for record in records:
        delta = deltas.get(record[1])
        if delta is None:
            delta = deltas[record[1]] = _SessionDelta(first=record, last=record)
        delta.last = record
        delta.count += 1
    for record, payload, side in folded:
        _fold(deltas[record.session_id], record, payload, side=side)
    apply_usage(conn, ((r, p) for r, p, _ in folded if r.kind == USAGE_KIND))
    for session_id, d in deltas.items():
        created = d.created or {}
        row = (session_id,)
        conn.execute(
            _UPSERT,
            (
                session_id,
                seal(created.get("title", ""), "session", row, "title"),
                d.state,
                seal(created.get("workspace"), "session", row, "workspace"),
                seal(created.get("team"), "session", row, "team"),
                d.first.ts,
                d.last.ts,
                d.count,
                d.first.seq,
                d.last.seq,
                0,
                d.agents,
                d.state,
                0,
            ),
        )
        if d.approvals:
            _apply_approvals(conn, session_id, d.approvals, seal=seal)
        for key, value, expires_at in d.memory_ops:  # in log order: a purge may follow a set
            if value is None:
                conn.execute(
                    "DELETE FROM session_memory WHERE session_id = ? AND key = ?",
                    (session_id, key),
                )
            else:
                stored = seal(value, "session_memory", (session_id, key), "value")
                conn.execute(
                    "INSERT OR REPLACE INTO session_memory (session_id, key, value, expires_at)"
                    " VALUES (?, ?, ?, ?)",
                    (session_id, key, stored, expires_at),
                )


_REQUEST_FIELDS = ("tool", "command", "paths", "cwd", "risk", "rule_id", "reason", "diff")


def _apply_approvals(
    conn: sqlite3.Connection, session_id: str, approvals: list[tuple[Record, Any]], *, seal: Sealer
) -> None:
    for record, p in approvals:
        row = (p["approval_id"],)
        if record.kind == "approval.requested":
            request = orjson.dumps({k: p[k] for k in _REQUEST_FIELDS if k in p}).decode()
            conn.execute(
                "INSERT OR IGNORE INTO approval (approval_id, session_id, call_id, requested_seq,"
                " requested_ts, agent_id, role, tool, summary, request, owner, state, reason)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', '')",
                (
                    p["approval_id"],
                    session_id,
                    p["call_id"],
                    record.seq,
                    record.ts,
                    p["agent_id"],
                    p["role"],
                    p["tool"],
                    seal(p["summary"], "approval", row, "summary"),
                    seal(request, "approval", row, "request"),
                    p.get("owner"),
                ),
            )
        else:  # resolved: only the first resolution of a pending request counts
            conn.execute(
                "UPDATE approval SET state = ?, resolved_seq = ?, resolved_ts = ?,"
                " decided_by = ?, reason = ? WHERE approval_id = ? AND state = 'pending'",
                (
                    p["outcome"],
                    record.seq,
                    record.ts,
                    p.get("decided_by"),
                    seal(p.get("reason", ""), "approval", row, "reason"),
                    p["approval_id"],
                ),
            )
    conn.execute(
        "UPDATE session SET pending_approvals = (SELECT COUNT(*) FROM approval"
        " WHERE approval.session_id = session.session_id AND state = 'pending')"
        " WHERE session_id = ?",
        (session_id,),
    )
