"""Tamper detection: any changed byte, deleted row, swapped pair, or truncated tail is caught.

The attacker here is strong: they drop the append-only triggers first, as anyone with the file
and the sqlite3 tool can.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessions.schema import AgentMessage, SessionCreated, SessionFinished
from sessions.store.anchors import AnchorLog, read_anchors
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore
from sessions.store.verify import Problem, verify_chain

EVENTS = 30
COLUMNS = ("session_id", "session_seq", "ts", "actor", "kind", "payload", "prev_hash", "hash")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A database of two interleaved sessions, with anchors every 10 events."""
    root = tmp_path_factory.mktemp("tamper")
    db = root / "template.db"
    anchors = AnchorLog(root / "anchors.jsonl")
    store = EventStore(open_engine(db), anchors=anchors, anchor_every=10, batch_max=3)
    for sid in ("s1", "s2"):
        store.append(sid, "o", SessionCreated(title=sid))
    for i in range(EVENTS - 4):
        store.append(f"s{1 + i % 2}", "a", AgentMessage(agent_id="a", text=f"line {i} ✓"))
    store.append("s1", "o", SessionFinished(outcome="succeeded"))
    store.append("s2", "o", SessionFinished(outcome="failed"))
    store.close()
    open_engine(db).dispose()
    return db, anchors.path


def _attack(template: tuple[Path, Path], tmp: Path) -> tuple[sqlite3.Connection, Path]:
    db = Path(tempfile.mkdtemp(dir=tmp)) / "attacked.db"  # one per hypothesis example
    conn = sqlite3.connect(template[0])
    conn.execute(f"VACUUM INTO '{db}'")
    conn.close()
    victim = sqlite3.connect(db, isolation_level=None)
    victim.execute("DROP TRIGGER event_no_update")
    victim.execute("DROP TRIGGER event_no_delete")
    return victim, db


def _verify(db: Path, anchors: Path | None = None) -> tuple[bool, int | None, Problem | None]:
    engine = open_engine(db, create=False)
    report = verify_chain(engine, anchors=read_anchors(anchors) if anchors else [])
    engine.dispose()
    return report.ok, report.bad_seq, report.problem


def test_the_untouched_template_verifies(template: tuple[Path, Path]) -> None:
    assert _verify(*template) == (True, None, None)


SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(seq=st.integers(1, EVENTS), column=st.sampled_from(COLUMNS), data=st.data())
def test_any_changed_byte_is_detected(
    template: tuple[Path, Path], tmp_path: Path, seq: int, column: str, data: st.DataObject
) -> None:
    victim, db = _attack(template, tmp_path)
    (value,) = victim.execute(
        f"SELECT CAST({column} AS TEXT) FROM event WHERE seq=?", (seq,)
    ).fetchone()
    raw = bytearray(str(value).encode())
    index = data.draw(st.integers(0, len(raw) - 1), label="byte")
    flip = data.draw(st.integers(1, 255), label="xor")
    raw[index] ^= flip
    changed = raw.decode("utf-8", errors="replace")
    if changed == str(value):
        return
    try:
        victim.execute(f"UPDATE event SET {column} = ? WHERE seq = ?", (changed, seq))
    except sqlite3.IntegrityError:
        return  # the unique (session_id, session_seq) index refused this edit outright
    finally:
        victim.close()
    ok, bad_seq, _problem = _verify(db)
    assert not ok
    assert bad_seq == seq or (column == "hash" and bad_seq == seq + 1)


@SETTINGS
@given(seq=st.integers(1, EVENTS - 1))
def test_a_deleted_row_is_detected(template: tuple[Path, Path], tmp_path: Path, seq: int) -> None:
    victim, db = _attack(template, tmp_path)
    victim.execute("DELETE FROM event WHERE seq = ?", (seq,))
    victim.close()
    assert _verify(db) == (False, seq + 1, Problem.MISSING)


@SETTINGS
@given(seq=st.integers(1, EVENTS - 1))
def test_a_swapped_pair_is_detected(template: tuple[Path, Path], tmp_path: Path, seq: int) -> None:
    victim, db = _attack(template, tmp_path)
    victim.execute("UPDATE event SET seq = -1 WHERE seq = ?", (seq,))
    victim.execute("UPDATE event SET seq = ? WHERE seq = ?", (seq, seq + 1))
    victim.execute("UPDATE event SET seq = ? WHERE seq = -1", (seq + 1,))
    victim.close()
    ok, bad_seq, problem = _verify(db)
    assert not ok and bad_seq == seq and problem == Problem.REORDERED


@SETTINGS
@given(keep=st.integers(10, EVENTS - 1))
def test_truncation_is_caught_only_with_an_anchor(
    template: tuple[Path, Path], tmp_path: Path, keep: int
) -> None:
    victim, db = _attack(template, tmp_path)
    victim.execute("DELETE FROM event WHERE seq > ?", (keep,))
    victim.close()
    assert _verify(db)[0] is True  # a shorter chain holds together on its own ...
    ok, bad_seq, problem = _verify(db, template[1])
    assert not ok and problem == Problem.TRUNCATED and bad_seq == keep + 1


def test_rechaining_after_an_edit_is_caught_by_the_anchor(
    template: tuple[Path, Path], tmp_path: Path
) -> None:
    from sessions.store.chain import record_hash

    victim, db = _attack(template, tmp_path)
    victim.execute(
        "UPDATE event SET payload = ? WHERE seq = 5", ('{"agent_id":"a","text":"forged"}',)
    )
    prev = victim.execute("SELECT hash FROM event WHERE seq = 4").fetchone()[0]
    rows = victim.execute("SELECT * FROM event WHERE seq >= 5 ORDER BY seq").fetchall()
    for seq, sid, sseq, ts, actor, kind, ver, payload, _prev, _hash in rows:
        digest = record_hash(
            seq=seq,
            session_id=sid,
            session_seq=sseq,
            ts=ts,
            actor=actor,
            kind=kind,
            schema_version=ver,
            payload_json=payload,
            prev_hash=prev,
        )
        victim.execute("UPDATE event SET prev_hash=?, hash=? WHERE seq=?", (prev, digest, seq))
        prev = digest
    victim.close()
    assert _verify(db)[0] is True
    ok, bad_seq, problem = _verify(db, template[1])
    assert not ok and problem == Problem.ANCHOR_MISMATCH and bad_seq is not None and bad_seq >= 5
    shutil.rmtree(tmp_path, ignore_errors=True)
