"""The event store on real SQLite files: ordering, durability, groups, projections, anchors."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from sessions.errors import StoreClosedError, StoreError
from sessions.schema import (
    AgentMessage,
    AgentStarted,
    ApprovalRequested,
    ApprovalResolved,
    SessionCreated,
    SessionFinished,
    SessionStateChanged,
)
from sessions.store.anchors import AnchorLog, read_anchors
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore, format_ts
from sessions.store.reading import list_sessions, load_session, resolve_session
from sessions.store.record import Record
from sessions.store.verify import verify_chain
from tests.conftest import StoreFactory


def _msg(i: int) -> AgentMessage:
    return AgentMessage(agent_id="a1", text=f"message {i}")


def test_appends_are_gapless_and_ordered_per_session(make_store: StoreFactory) -> None:
    store = make_store()
    for i in range(50):
        store.append(f"s{i % 3}", "a1", _msg(i))
    store.flush()
    records = load_session(store.engine, "s1")
    assert [r.session_seq for r in records] == list(range(1, 18))
    assert [r.payload["text"] for r in records] == [f"message {i}" for i in range(1, 50, 3)]
    report = verify_chain(store.engine)
    assert report.ok and report.checked == 50 and report.head_seq == 50


def test_subscribers_see_committed_records_in_order(
    make_store: StoreFactory, db_path: Path
) -> None:
    store = make_store(batch_max=7)
    seen: list[int] = []
    on_disk: list[bool] = []
    reader = sqlite3.connect(db_path, check_same_thread=False)

    def subscriber(batch: Sequence[Record]) -> None:
        seen.extend(r.seq for r in batch)
        last = batch[-1].seq
        on_disk.append(
            reader.execute("SELECT 1 FROM event WHERE seq=?", (last,)).fetchone() == (1,)
        )

    store.subscribe(subscriber)
    for i in range(40):
        store.append("s", "a1", _msg(i))
    store.flush()
    assert seen == list(range(1, 41))
    assert all(on_disk)


def test_unsubscribe_stops_delivery(make_store: StoreFactory) -> None:
    store = make_store()
    seen: list[int] = []
    unsubscribe = store.subscribe(lambda batch: seen.extend(r.seq for r in batch))
    store.append_sync("s", "a1", _msg(0))
    unsubscribe()
    store.append_sync("s", "a1", _msg(1))
    assert seen == [1]


async def test_durable_append_returns_after_commit(make_store: StoreFactory, db_path: Path) -> None:
    store = make_store()
    record = await store.append_durable("s", "a1", _msg(0))
    other = sqlite3.connect(db_path)
    row = other.execute("SELECT hash FROM event WHERE seq = ?", (record.seq,)).fetchone()
    assert row == (record.hash,)


async def test_concurrent_durable_callers_share_commits(make_store: StoreFactory) -> None:
    store = make_store()
    records = await asyncio.gather(
        *(store.append_durable(f"s{i % 4}", "a1", _msg(i)) for i in range(64))
    )
    assert sorted(r.seq for r in records) == list(range(1, 65))
    assert verify_chain(store.engine).ok


def test_a_group_commits_all_or_nothing(make_store: StoreFactory) -> None:
    store = make_store()
    good = store.pending_data("s", "a1", "agent.message", data={"agent_id": "a1", "text": "ok"})
    records = store.append_group([good, good]).result()
    assert [r.session_seq for r in records] == [1, 2]
    with pytest.raises(TypeError):
        store.pending_data("s", "a1", "agent.message", data={"bad": {1, 2}})
    assert len(load_session(store.engine, "s")) == 2


def test_redaction_happens_before_hashing(make_store: StoreFactory, db_path: Path) -> None:
    def redact(payload: object) -> object:
        assert isinstance(payload, dict)
        return {
            k: (v.replace("hunter2", "[REDACTED:pw]") if isinstance(v, str) else v)
            for k, v in payload.items()
        }

    store = make_store(redact=redact)
    record = store.append_sync("s", "a1", AgentMessage(agent_id="a1", text="pw is hunter2"))
    assert record.payload["text"] == "pw is [REDACTED:pw]"
    assert record.computed_hash() == record.hash
    store.close()
    for path in db_path.parent.glob("q.db*"):
        assert b"hunter2" not in path.read_bytes()


def test_a_bad_payload_fails_its_caller_at_once(make_store: StoreFactory) -> None:
    def explode(payload: object) -> object:
        raise ValueError("redactor broke")

    store = make_store(redact=explode)
    with pytest.raises(ValueError, match="redactor broke"):
        store.append("s", "a1", _msg(0))


def test_the_log_refuses_update_and_delete(make_store: StoreFactory, db_path: Path) -> None:
    store = make_store()
    store.append_sync("s", "a1", _msg(0))
    conn = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE event SET actor = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM event")


def test_the_session_projection_follows_the_log(make_store: StoreFactory) -> None:
    store = make_store()
    sid = "abc-123"
    store.append(sid, "o", SessionCreated(title="Fix bug", workspace="/ws"))
    store.append(sid, "o", SessionStateChanged(from_state="created", to_state="running"))
    store.append(sid, "o", AgentStarted(agent_id="a1", role="implementer", backend="demo"))
    for approval in ("p1", "p2"):
        store.append(
            sid,
            "auth",
            ApprovalRequested(
                approval_id=approval,
                call_id="c",
                agent_id="a1",
                role="implementer",
                tool="execute",
                summary="ls",
            ),
        )
    store.append(sid, "h", ApprovalResolved(approval_id="p1", outcome="denied"))
    store.flush()
    [summary] = list_sessions(store.engine)
    assert (summary.title, summary.state, summary.event_count) == ("Fix bug", "running", 6)
    assert (summary.pending_approvals, summary.agents, summary.workspace) == (1, 1, "/ws")
    store.append_sync(sid, "o", SessionFinished(outcome="succeeded"))
    assert list_sessions(store.engine)[0].state == "succeeded"


def test_session_ids_resolve_by_unique_prefix(make_store: StoreFactory) -> None:
    store = make_store()
    for sid in ("abc-1", "abd-2", "x_y"):
        store.append(sid, "o", SessionCreated(title=sid))
    store.flush()
    assert resolve_session(store.engine, "abc") == "abc-1"
    assert resolve_session(store.engine, "x_") == "x_y"
    from sessions.errors import AmbiguousSessionError, SessionNotFoundError

    with pytest.raises(AmbiguousSessionError, match="abc-1, abd-2"):
        resolve_session(store.engine, "ab")
    with pytest.raises(SessionNotFoundError):
        resolve_session(store.engine, "x%")


def test_anchors_every_n_events_and_at_session_end(make_store: StoreFactory, db_path: Path) -> None:
    log = AnchorLog(db_path.parent / "anchors.jsonl")
    store = make_store(anchors=log, anchor_every=10, batch_max=5)
    for i in range(25):
        store.append("s", "a1", _msg(i))
    store.flush()
    store.append_sync("s", "o", SessionFinished(outcome="succeeded"))
    anchors = read_anchors(log.path)
    assert [a.seq for a in anchors][-1] == 26
    # An anchor is written by the first commit at or past each multiple of N (batches <= 5).
    assert any(10 <= a.seq < 15 for a in anchors) and any(20 <= a.seq < 25 for a in anchors)
    head = load_session(store.engine, "s")[-1]
    assert (anchors[-1].seq, anchors[-1].hash) == (head.seq, head.hash)


def test_closed_store_refuses_appends(make_store: StoreFactory) -> None:
    store = make_store()
    store.close()
    with pytest.raises(StoreClosedError):
        store.append("s", "a1", _msg(0))


def test_two_stores_on_one_file_never_fork_the_chain(db_path: Path) -> None:
    stores = [EventStore(open_engine(db_path), batch_max=5) for _ in range(2)]
    start = threading.Barrier(2)

    def writer(store: EventStore, name: str) -> None:
        start.wait()
        for i in range(200):
            store.append(name, name, _msg(i))
        store.flush()

    threads = [threading.Thread(target=writer, args=(s, f"w{i}")) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for store in stores:
        store.close()
    report = verify_chain(open_engine(db_path, create=False))
    assert report.ok and report.checked == 400


def test_commit_failures_reach_error_listeners(make_store: StoreFactory) -> None:
    store = make_store()
    errors: list[StoreError] = []
    store.on_error(errors.append)
    conn = sqlite3.connect(store.engine.url.database or "")
    conn.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON event BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
    )
    conn.close()
    future = store.append_future("s", "a1", _msg(0))
    with pytest.raises(StoreError, match="disk on fire"):
        future.result()
    assert errors and "disk on fire" in str(errors[0])


def test_timestamps_are_utc_with_microseconds() -> None:
    assert format_ts(0.5) == "1970-01-01T00:00:00.500000Z"
    assert format_ts(1_790_000_000.000001) == "2026-09-21T14:13:20.000001Z"


def test_opening_a_missing_database_without_create_fails(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no database"):
        open_engine(tmp_path / "nope.db", create=False)
    (tmp_path / "junk.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open"):
        open_engine(tmp_path / "junk.db")
    with pytest.raises(StoreError, match="only SQLite"):
        open_engine("postgresql://localhost/q")
