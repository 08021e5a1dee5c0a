"""The session lease: at most one live process drives a session at a time.

A row per session names its owner (``host:pid``), when the lease expires and a fencing token
that grows with every acquisition. The holder renews it while it runs; another process may take
it over only once it has expired, or at once when its owner is a dead process on this host.
Every change happens inside ``BEGIN IMMEDIATE``, so two processes can never both win.

The row also carries ``cancel_requested``: ``quarterdeck cancel`` sets it, and the holder, which
polls its lease anyway, stops its session. Only the holder writes the session's state.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.schema import CreateTable

from sessions.errors import QuarterdeckError
from sessions.store.tables import LeaseRow

DEFAULT_TTL_S = 30.0
LEASE_TABLE = LeaseRow.__table__  # type: ignore[attr-defined]
# Databases created before the lease existed lack the table: every operation creates it first.
_CREATE = str(
    CreateTable(LEASE_TABLE, if_not_exists=True).compile(dialect=sqlite_dialect.dialect())
)
_SELECT = (
    "SELECT session_id, owner, token, expires_at, cancel_requested FROM session_lease"
    " WHERE session_id = ?"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Lease:
    """One session's lease row as read."""

    session_id: str
    owner: str
    token: int
    expires_at: float
    cancel_requested: bool

    def live(self, now: float | None = None, alive: Callable[[str], bool] | None = None) -> bool:
        """Whether it still excludes others: not expired, and its owner not known to be dead."""
        if self.expires_at <= (time.time() if now is None else now):
            return False
        return (alive or owner_alive)(self.owner)

    def describe(self) -> str:
        """``host:pid (lease until HH:MM:SS UTC)``, for messages."""
        until = datetime.fromtimestamp(self.expires_at, UTC).strftime("%H:%M:%S UTC")
        return f"{self.owner} (lease until {until})"


class LeaseHeldError(QuarterdeckError):
    """Another live process holds the session's lease."""

    def __init__(self, lease: Lease) -> None:
        super().__init__(
            f"session {lease.session_id[:8]} is being run by {lease.describe()}; "
            "stop that process first, or use `quarterdeck cancel`"
        )
        self.lease = lease


class LeaseLostError(QuarterdeckError):
    """The lease this process held was taken over (it expired while we were not renewing)."""


def owner_id() -> str:
    """This process as a lease owner: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(owner: str) -> bool:
    """False only when ``owner`` is a process on this host that no longer exists.

    An owner on another host cannot be checked, so it counts as alive until its lease expires.
    """
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


@contextmanager
def _immediate(engine: Engine) -> Iterator[sqlite3.Connection]:
    # A plain DBAPI connection: BEGIN IMMEDIATE takes the write lock before the row is read, so
    # the read-check-write of an acquisition cannot interleave with another process's.
    proxy = engine.raw_connection()
    try:
        conn = proxy.driver_connection
        assert isinstance(conn, sqlite3.Connection)
        conn.execute(_CREATE)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        proxy.close()


def _read(conn: sqlite3.Connection, session_id: str) -> Lease | None:
    row = conn.execute(_SELECT, (session_id,)).fetchone()
    if row is None:
        return None
    return Lease(
        session_id=row[0],
        owner=row[1],
        token=int(row[2]),
        expires_at=float(row[3]),
        cancel_requested=bool(row[4]),
    )


def acquire(
    engine: Engine,
    session_id: str,
    owner: str,
    *,
    ttl_s: float = DEFAULT_TTL_S,
    now: float | None = None,
    alive: Callable[[str], bool] = owner_alive,
) -> int:
    """Take the lease for ``ttl_s`` seconds and return the new fencing token.

    Succeeds when there is no lease, when it expired, when its owner is dead, or when ``owner``
    already holds it; raises :class:`LeaseHeldError` otherwise. A pending cancel request is
    cleared: it was addressed to the previous holder.
    """
    moment = time.time() if now is None else now
    with _immediate(engine) as conn:
        current = _read(conn, session_id)
        if current is not None and current.owner != owner and current.live(moment, alive):
            raise LeaseHeldError(current)
        token = (current.token if current is not None else 0) + 1
        conn.execute(
            "INSERT INTO session_lease (session_id, owner, token, expires_at, cancel_requested)"
            " VALUES (?, ?, ?, ?, 0) ON CONFLICT (session_id) DO UPDATE SET"
            " owner = excluded.owner, token = excluded.token,"
            " expires_at = excluded.expires_at, cancel_requested = 0",
            (session_id, owner, token, moment + ttl_s),
        )
    return token


def renew(
    engine: Engine,
    session_id: str,
    owner: str,
    *,
    token: int,
    ttl_s: float = DEFAULT_TTL_S,
    now: float | None = None,
) -> Lease:
    """Extend a lease we hold; returns the row (whose ``cancel_requested`` the holder obeys).

    Raises :class:`LeaseLostError` when the row no longer carries our owner and token.
    """
    moment = time.time() if now is None else now
    with _immediate(engine) as conn:
        current = _read(conn, session_id)
        if current is None or current.owner != owner or current.token != token:
            taken = current.describe() if current is not None else "nobody"
            raise LeaseLostError(f"the lease of session {session_id[:8]} is now held by {taken}")
        conn.execute(
            "UPDATE session_lease SET expires_at = ? WHERE session_id = ?",
            (moment + ttl_s, session_id),
        )
    return Lease(
        session_id=session_id,
        owner=owner,
        token=token,
        expires_at=moment + ttl_s,
        cancel_requested=current.cancel_requested,
    )


def release(engine: Engine, session_id: str, owner: str, *, token: int) -> None:
    """Give the lease up at once (if still ours). The row stays, so tokens keep growing."""
    with _immediate(engine) as conn:
        conn.execute(
            "UPDATE session_lease SET expires_at = 0"
            " WHERE session_id = ? AND owner = ? AND token = ?",
            (session_id, owner, token),
        )


def holder(engine: Engine, session_id: str) -> Lease | None:
    """The session's lease row, live or not; None when no process ever held it.

    A plain read, without the write lock: runners poll it between renewals.
    """
    proxy = engine.raw_connection()
    try:
        conn = proxy.driver_connection
        assert isinstance(conn, sqlite3.Connection)
        return _read(conn, session_id)
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):  # a database from before leases: nobody holds one
            return None
        raise
    finally:
        proxy.close()


def request_cancel(engine: Engine, session_id: str) -> Lease | None:
    """Ask the holder to cancel the session; returns the lease the request went to."""
    with _immediate(engine) as conn:
        conn.execute(
            "UPDATE session_lease SET cancel_requested = 1 WHERE session_id = ?", (session_id,)
        )
        return _read(conn, session_id)
