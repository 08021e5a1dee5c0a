"""Reading the approval projection: what is pending, what was answered, and by whom.

Summaries, requests and reasons are opened with the cipher attached to the engine when the
database is encrypted (``sessions/store/sealing.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine, select

from sessions.errors import AmbiguousSessionError, SessionNotFoundError
from sessions.store.crypto import PayloadCipher, cipher_for
from sessions.store.reading import like_prefix
from sessions.store.sealing import SEALED_COLUMNS, open_value
from sessions.store.tables import ApprovalRow

APPROVAL_TABLE = ApprovalRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalView:
    """One approval as the projection has it."""

    approval_id: str
    session_id: str
    call_id: str
    requested_seq: int
    requested_ts: str
    agent_id: str
    role: str
    tool: str
    summary: str
    request: dict[str, Any]
    owner: str | None
    state: str
    resolved_seq: int | None
    decided_by: str | None
    reason: str

    @property
    def pending(self) -> bool:
        """Nobody has answered it yet."""
        return self.state == "pending"


_COLUMNS = (
    "approval_id",
    "session_id",
    "call_id",
    "requested_seq",
    "requested_ts",
    "agent_id",
    "role",
    "tool",
    "summary",
    "request",
    "owner",
    "state",
    "resolved_seq",
    "decided_by",
    "reason",
)


def approval_view(row: Any, cipher: PayloadCipher | None) -> ApprovalView:
    """A row of :func:`approvals_query`, its sealed columns opened with ``cipher``."""
    values = dict(zip(_COLUMNS, row, strict=True))
    key = (values["approval_id"],)
    for column in SEALED_COLUMNS["approval"]:
        values[column] = open_value(cipher, values[column], "approval", key=key, column=column)
    values["request"] = orjson.loads(values["request"])
    return ApprovalView(**values)


def approvals_query() -> Any:
    """Every approval of the projection, for :func:`approval_view`."""
    return select(*(APPROVAL_TABLE.c[name] for name in _COLUMNS))


def pending_approvals(engine: Engine) -> list[ApprovalView]:
    """Every unanswered approval in the database, oldest first."""
    query = approvals_query().where(APPROVAL_TABLE.c.state == "pending")
    query = query.order_by(APPROVAL_TABLE.c.requested_seq)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    cipher = cipher_for(engine)
    return [approval_view(row, cipher) for row in rows]


def approvals_by_id(engine: Engine, approval_ids: list[str]) -> list[ApprovalView]:
    """The approvals with these ids (those that exist)."""
    if not approval_ids:
        return []
    query = approvals_query().where(APPROVAL_TABLE.c.approval_id.in_(approval_ids))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    cipher = cipher_for(engine)
    return [approval_view(row, cipher) for row in rows]


def find_approval(engine: Engine, prefix: str) -> ApprovalView:
    """The one approval whose id starts with ``prefix``."""
    query = approvals_query().where(
        APPROVAL_TABLE.c.approval_id.like(like_prefix(prefix), escape="\\")
    )
    with engine.connect() as conn:
        rows = conn.execute(query.limit(6)).all()
    cipher = cipher_for(engine)
    found = [approval_view(row, cipher) for row in rows]
    exact = [a for a in found if a.approval_id == prefix]
    if exact:
        return exact[0]
    if not found or not prefix:
        raise SessionNotFoundError(f"no approval matches {prefix!r}")
    if len(found) > 1:
        ids = ", ".join(a.approval_id for a in found[:5])
        raise AmbiguousSessionError(f"{prefix!r} matches several approvals: {ids}")
    return found[0]
