"""Session memory: agents' scratch values with expiry, purged (and the purge logged) at the end.

Values live only in the ``session_memory`` table (sealed there when the database is encrypted);
the log records each write's key, digest and size, and each purge's keys, so the trail is
complete yet nothing outlives the session.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Any, Literal

import orjson
from sqlalchemy import select

from sessions.schema.flow import MemoryPurged, MemorySet
from sessions.store.crypto import cipher_for
from sessions.store.event_store import EventStore, format_ts
from sessions.store.record import Record
from sessions.store.sealing import open_value
from sessions.store.tables import MemoryRow

_MEMORY = MemoryRow.__table__  # type: ignore[attr-defined]

PurgeReason = Literal["completed", "expired", "cancelled", "manual"]


class SessionMemory:
    """Scratch memory of one session, written through the event store."""

    def __init__(self, store: EventStore, session_id: str, *, actor: str = "orchestrator") -> None:
        self._store = store
        self.session_id = session_id
        self._actor = actor

    async def set(self, key: str, value: Any, *, ttl_s: float | None = None) -> Record:
        """Store ``value`` (JSON data) under ``key``, expiring after ``ttl_s`` seconds if given."""
        body = orjson.dumps(value).decode()
        expires = None if ttl_s is None else format_ts(time.time() + ttl_s)
        payload = MemorySet(
            key=key,
            value_sha256=hashlib.sha256(body.encode()).hexdigest(),
            size_bytes=len(body.encode()),
            expires_at=expires,
        )
        future = self._store.append_future(self.session_id, self._actor, payload, side=body)
        return (await asyncio.wrap_future(future))[0]

    def get(self, key: str, default: Any = None, *, now: float | None = None) -> Any:
        """The value under ``key``, or ``default`` when missing or expired."""
        query = select(_MEMORY.c.value, _MEMORY.c.expires_at).where(
            _MEMORY.c.session_id == self.session_id, _MEMORY.c.key == key
        )
        with self._store.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return default
        value, expires_at = row
        stamp = format_ts(now if now is not None else time.time())
        if expires_at is not None and expires_at <= stamp:
            return default
        cipher = cipher_for(self._store.engine)
        return orjson.loads(
            open_value(cipher, value, "session_memory", key=(self.session_id, key), column="value")
        )

    def keys(self) -> list[str]:
        """Every key currently stored for the session, expired ones included."""
        query = select(_MEMORY.c.key).where(_MEMORY.c.session_id == self.session_id)
        with self._store.engine.connect() as conn:
            return sorted(row[0] for row in conn.execute(query))

    def expired_keys(self, *, now: float | None = None) -> list[str]:
        """Keys whose expiry has passed."""
        stamp = format_ts(now if now is not None else time.time())
        query = select(_MEMORY.c.key).where(
            _MEMORY.c.session_id == self.session_id,
            _MEMORY.c.expires_at.is_not(None),
            _MEMORY.c.expires_at <= stamp,
        )
        with self._store.engine.connect() as conn:
            return sorted(row[0] for row in conn.execute(query))

    async def purge(
        self, reason: PurgeReason = "completed", *, keys: list[str] | None = None
    ) -> Record:
        """Delete ``keys`` (default: all) and log which were purged; the values are gone."""
        doomed = await asyncio.to_thread(self.keys) if keys is None else keys  # off the loop
        return await self._store.append_durable(
            self.session_id, self._actor, MemoryPurged(keys=doomed, reason=reason)
        )

    async def purge_expired(self, *, now: float | None = None) -> Record | None:
        """Delete the values whose expiry has passed (logged as ``expired``); None if none."""
        expired = await asyncio.to_thread(self.expired_keys, now=now)
        if not expired:
            return None
        return await self.purge("expired", keys=expired)

    async def close(self, reason: PurgeReason = "completed", *, now: float | None = None) -> Record:
        """At a terminal state: purge expired values as such, then everything left.

        Always records a final ``memory.purged`` (its keys may be empty), so the log shows that
        nothing of the session's memory outlives it.
        """
        await self.purge_expired(now=now)
        return await self.purge(reason)
