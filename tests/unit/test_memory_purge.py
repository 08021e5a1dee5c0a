"""Session memory is purged at the end, expired values as such, and the purge is logged."""

from __future__ import annotations

import time

from sessions.store.memory import SessionMemory
from sessions.store.reading import load_session
from tests.conftest import StoreFactory


async def test_close_purges_expired_then_everything_left_and_logs_only_keys(
    make_store: StoreFactory,
) -> None:
    store = make_store()
    memory = SessionMemory(store, "s1")
    await memory.set("plan", {"steps": 3})
    await memory.set("token", "short-lived", ttl_s=5)
    later = time.time() + 10
    assert memory.get("token", "gone", now=later) == "gone"  # expiry honoured on read
    assert memory.get("plan") == {"steps": 3}

    await memory.close("completed", now=later)

    assert memory.keys() == [] and memory.get("plan") is None
    purges = [r.payload for r in load_session(store.engine, "s1") if r.kind == "memory.purged"]
    assert purges == [{"keys": ["token"], "reason": "expired"}, {"keys": ["plan"]}]
    assert "short-lived" not in str(load_session(store.engine, "s1"))


async def test_a_cancelled_session_with_empty_memory_still_records_its_purge(
    make_store: StoreFactory,
) -> None:
    store = make_store()
    record = await SessionMemory(store, "s1").close("cancelled")
    assert record.kind == "memory.purged" and record.payload == {"keys": [], "reason": "cancelled"}
