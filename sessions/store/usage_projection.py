"""The usage projections: what agents cost, kept beside the log in the writer's transaction.

ACP's ``usage_update`` cost is the running total of one ACP session, so ``usage_cost`` keeps the
latest total per (session, agent, ACP session, currency), and every change of one becomes a row
of ``usage_spend`` (its difference, at its record's time). A day's spend across every session is
then one indexed sum over ``usage_spend`` — the console's status bar reads it without folding
any session. Both are derived from ``agent.usage`` alone; a database older than them holds no
such record, so they start empty and are exact (decisions D34).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine

from sessions.store.record import Record

USAGE_KIND = "agent.usage"
"""The kind the projections fold."""

_KEY = "session_id = ? AND agent_id = ? AND acp_session_id = ? AND currency = ?"


def apply_usage(conn: sqlite3.Connection, folded: Iterable[tuple[Record, Any]]) -> None:
    """Fold ``agent.usage`` records (with their payloads, in log order) into the projections."""
    for record, payload in folded:
        cost, currency = payload.get("cost"), payload.get("currency")
        if cost is None or not currency:
            continue
        key = (
            record.session_id,
            payload["agent_id"],
            payload.get("acp_session_id") or "",
            currency,
        )
        row = conn.execute(f"SELECT amount FROM usage_cost WHERE {_KEY}", key).fetchone()
        delta = float(cost) - (row[0] if row is not None else 0.0)
        if row is None:
            conn.execute(
                "INSERT INTO usage_cost (session_id, agent_id, acp_session_id, currency, amount)"
                " VALUES (?, ?, ?, ?, ?)",
                (*key, float(cost)),
            )
        elif delta:
            conn.execute(f"UPDATE usage_cost SET amount = ? WHERE {_KEY}", (float(cost), *key))
        if delta:
            conn.execute(
                "INSERT INTO usage_spend (seq, ts, session_id, currency, delta)"
                " VALUES (?, ?, ?, ?, ?)",
                (record.seq, record.ts, record.session_id, currency, delta),
            )


def spend_since(conn: sqlite3.Connection, since_ts: str) -> dict[str, float]:
    """What every session's agents cost from record time ``since_ts`` on, per currency (in
    the order the currencies were first spent)."""
    try:
        rows = conn.execute(
            "SELECT currency, SUM(delta) FROM usage_spend WHERE ts >= ?"
            " GROUP BY currency ORDER BY MIN(seq)",
            (since_ts,),
        ).fetchall()
    except sqlite3.OperationalError as exc:  # opened without create: older than the table
        if "no such table" in str(exc):
            return {}
        raise
    return {currency: float(amount) for currency, amount in rows if amount}


def day_spend(engine: Engine, since_ts: str) -> dict[str, float]:
    """:func:`spend_since` on ``engine``'s database (call it on a worker thread)."""
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        assert isinstance(conn, sqlite3.Connection)
        return spend_since(conn, since_ts)
    finally:
        raw.close()
