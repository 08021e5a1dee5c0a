"""Reducer snapshots: snapshot + tail is the fold from the start, at any cut; stale and corrupt
ones are skipped (with a warning), never trusted; the store keeps them as sessions grow."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessions import schema as s
from sessions.readmodel.reducer import fold
from sessions.readmodel.replay import ReplayLog
from sessions.readmodel.snapshots import (
    Snapshot,
    SnapshotError,
    check,
    decode,
    encode,
    fold_from,
    load_state,
    version,
)
from sessions.store.crypto import PayloadCipher, attach
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore
from sessions.store.reading import load_session
from sessions.store.record import Record
from sessions.store.snapshot_keeper import catch_up, save_snapshots
from sessions.store.snapshot_rows import TABLE, read_snapshots
from tests.unit.test_state import fixture_records
from tests.unit.test_state_properties import record_lists


def one_session(records: list[Record], session_id: str = "s1") -> list[Record]:
    """The records of one session: what a snapshot folds."""
    return [r for r in records if r.session_id == session_id]


def snapshot_of(records: list[Record], cut: int) -> Snapshot:
    """The snapshot after ``cut`` records, through its stored bytes."""
    state = decode(encode(fold(records[:cut])))
    return Snapshot(cut, records[cut - 1].seq if cut else 0, state)


@settings(max_examples=60, deadline=None)
@given(record_lists(), st.data())
def test_a_snapshot_and_its_tail_fold_to_the_fold_from_the_start(
    records: list[Record], data: st.DataObject
) -> None:
    mine = one_session(records)
    cut = data.draw(st.integers(0, len(mine)))
    assert snapshot_of(mine, cut).state == fold(mine[:cut])  # bytes and back: the same value
    end, _ = fold_from(snapshot_of(mine, cut) if cut else None, mine[cut:])
    assert end.state == fold(mine)
    assert (end.position, end.upto_seq) == (len(mine), mine[-1].seq if mine else 0)


@settings(max_examples=40, deadline=None)
@given(record_lists(), st.integers(1, 4), st.data())
def test_replay_from_stored_snapshots_shows_the_fold_at_every_position(
    records: list[Record], every: int, data: st.DataObject
) -> None:
    mine = one_session(records)
    cuts = data.draw(st.sets(st.integers(1, max(1, len(mine)))))
    stored = [snapshot_of(mine, c) for c in sorted(cuts) if c <= len(mine)]
    log = ReplayLog("s1", mine, every=every, snapshots=stored).build()
    assert log.final == fold(mine)
    for position in data.draw(st.lists(st.integers(0, len(mine)), max_size=6)):
        assert log.view_at(position) == fold(mine[:position])


def test_fold_from_takes_a_snapshot_at_every_multiple() -> None:
    records = list(fixture_records())
    end, taken = fold_from(None, records, every=10)
    assert [t.position for t in taken] == list(range(10, len(records) + 1, 10))
    assert all(t.state == fold(records[: t.position]) for t in taken)
    assert end.state == fold(records)


def test_a_snapshot_of_another_session_or_length_does_not_check_out() -> None:
    records = list(fixture_records())
    good = snapshot_of(records, 10)
    assert check(good, records[0].session_id) is good
    with pytest.raises(SnapshotError):
        check(good, "another")
    with pytest.raises(SnapshotError):
        check(Snapshot(11, good.upto_seq, good.state), records[0].session_id)
    with pytest.raises(SnapshotError):
        decode(b"not a snapshot")


# -- in a database ----------------------------------------------------------------------------


def fill(path: Path, count: int, *, every: int = 10, cipher: PayloadCipher | None = None) -> str:
    """A session of ``count`` records written through a store that keeps a snapshot every
    ``every`` of them; its id."""
    store = EventStore(open_engine(path), snapshot_every=every, cipher=cipher)
    store.append("s1", "o", s.SessionCreated(title="secret-title-5e1"))
    store.append("s1", "o", s.AgentStarted(agent_id="a1", role="implementer", backend="demo"))
    for i in range(count - 2):
        store.append("s1", "a1", s.AgentMessage(agent_id="a1", text=f"line {i}\n"))
    store.close()
    return "s1"


def test_the_store_keeps_a_snapshot_every_so_many_records(tmp_path: Path) -> None:
    sid = fill(tmp_path / "q.db", 35)
    engine = open_engine(tmp_path / "q.db")
    rows = read_snapshots(engine, sid, version())
    assert [r.position for r in rows] == [10, 20, 30]
    records = load_session(engine, sid)
    assert decode(rows[-1].state) == fold(records[:30])
    assert load_state(engine, sid) == (fold(records), records[-1].seq)
    folded_only = load_session(engine, sid, hashes=False)  # what replay and the keeper read
    assert [r[:8] for r in folded_only] == [r[:8] for r in records]
    assert {(r.prev_hash, r.hash) for r in folded_only} == {("", "")}


def test_replay_stores_the_snapshots_it_had_to_fold_past(tmp_path: Path) -> None:
    sid = fill(tmp_path / "q.db", 25, every=1000)  # the keeper never got to one
    engine = open_engine(tmp_path / "q.db")
    records = load_session(engine, sid)
    assert read_snapshots(engine, sid, version()) == []
    made = catch_up(engine, sid, records, every=10)
    assert [m.position for m in made] == [10, 20]
    assert [r.position for r in read_snapshots(engine, sid, version())] == [10, 20]
    assert catch_up(engine, sid, records, every=10) == made  # read back, not folded again


def test_a_stale_version_is_ignored_and_dropped(tmp_path: Path) -> None:
    sid = fill(tmp_path / "q.db", 25, every=1000)
    engine = open_engine(tmp_path / "q.db")
    records = load_session(engine, sid)
    wrong = Snapshot(20, records[19].seq, fold(records[:3]))  # what an old reducer might say
    raw = sqlite3.connect(tmp_path / "q.db")
    save_snapshots(engine, sid, [])  # nothing to store: the table is not even made
    assert read_snapshots(engine, sid, "0.old") == []
    raw.execute(
        f"CREATE TABLE {TABLE} (session_id TEXT, version TEXT, upto_seq INTEGER,"
        " position INTEGER, state BLOB, PRIMARY KEY (session_id, version, upto_seq))"
    )
    raw.execute(
        f"INSERT INTO {TABLE} VALUES (?, '0.old', ?, 20, ?)",
        (sid, wrong.upto_seq, encode(wrong.state)),
    )
    raw.commit()
    assert load_state(engine, sid) == (fold(records), records[-1].seq)
    catch_up(engine, sid, records, every=10)
    versions = {v for (v,) in raw.execute(f"SELECT version FROM {TABLE}")}
    assert versions == {version()}
    raw.close()


def test_a_corrupt_snapshot_falls_back_to_folding_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sid = fill(tmp_path / "q.db", 25)
    engine = open_engine(tmp_path / "q.db")
    records = load_session(engine, sid)
    raw = sqlite3.connect(tmp_path / "q.db")
    raw.execute(f"UPDATE {TABLE} SET state = x'00ff' WHERE position = 20")
    raw.execute(f"UPDATE {TABLE} SET upto_seq = upto_seq + 1 WHERE position = 10")
    raw.commit()
    raw.close()
    with caplog.at_level(logging.WARNING, logger="sessions.readmodel.snapshots"):
        assert load_state(engine, sid) == (fold(records), records[-1].seq)
        made = catch_up(engine, sid, records, every=10)
    assert "does not decode" in caplog.text and "is not seq" in caplog.text
    assert [m.state for m in made] == [fold(records[:10]), fold(records[:20])]


def test_snapshots_of_an_encrypted_database_are_sealed(tmp_path: Path) -> None:
    cipher = PayloadCipher({1: b"k" * 32}, 1)
    sid = fill(tmp_path / "q.db", 25, cipher=cipher)
    engine = open_engine(tmp_path / "q.db")
    raw = sqlite3.connect(tmp_path / "q.db")
    blobs = [b for (b,) in raw.execute(f"SELECT state FROM {TABLE}")]
    raw.close()
    assert len(blobs) == 2 and all(b"secret-title" not in b for b in blobs)
    for blob in blobs:  # sealed: without the key, not even the compressed view
        with pytest.raises(SnapshotError):
            decode(blob)
    attach(engine, cipher)
    records = load_session(engine, sid)
    assert [decode(r.state) for r in read_snapshots(engine, sid, version())] == [
        fold(records[:10]),
        fold(records[:20]),
    ]
