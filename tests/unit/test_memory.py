"""Session memory: values with expiry, purged at completion, the purge logged."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sessions.store.memory import SessionMemory
from sessions.store.reading import load_session
from tests.conftest import StoreFactory


async def test_set_get_expire_and_purge(make_store: StoreFactory, db_path: Path) -> None:
    store = make_store()
    memory = SessionMemory(store, "s1")
    await memory.set("plan", {"steps": ["a", "b"], "token": "scratch-value-xyz"})
    await memory.set("short", 42, ttl_s=10)
    assert memory.get("plan") == {"steps": ["a", "b"], "token": "scratch-value-xyz"}
    assert memory.get("short") == 42
    far_future = 4_102_444_800.0
    assert memory.get("short", now=far_future) is None
    assert memory.expired_keys(now=far_future) == ["short"]
    record = await memory.purge()
    assert record.payload == {"keys": ["plan", "short"]}  # the default reason, "completed"
    assert memory.keys() == [] and memory.get("plan") is None
    kinds = [r.kind for r in load_session(store.engine, "s1")]
    assert kinds == ["memory.set", "memory.set", "memory.purged"]
    store.close()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    conn.close()
    assert b"scratch-value-xyz" not in db_path.read_bytes()
