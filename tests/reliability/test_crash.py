"""SIGKILL a writer at many moments: acked records survive, the chain verifies, the file is ok."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from sessions.store.engine import open_engine
from sessions.store.verify import verify_chain

WRITER = Path(__file__).with_name("crash_writer.py")
RUNS = 30


def _run_and_kill(db: Path, session: str, acks_before_kill: int) -> int:
    """Start a writer, wait for N acks (no sleeping: read its pipe), SIGKILL it; the last ack."""
    child = subprocess.Popen(
        [sys.executable, str(WRITER), str(db), session],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    last = 0
    try:
        for _ in range(acks_before_kill):
            line = child.stdout.readline()
            if not line:
                raise AssertionError(
                    f"writer died early: {child.stderr.read() if child.stderr else ''}"
                )
            last = int(line)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
        if child.stderr:
            child.stderr.close()
    return last


def test_acked_records_survive_sigkill(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    rng = random.Random(20261124)
    acked: list[tuple[str, int]] = []
    for run in range(RUNS):
        session = f"run-{run}"
        last = _run_and_kill(db, session, acks_before_kill=rng.randint(1, 40))
        acked.append((session, last))
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        for sid, seq in acked:
            row = conn.execute("SELECT session_id FROM event WHERE seq = ?", (seq,)).fetchone()
            assert row == (sid,), f"acked seq {seq} of {sid} lost"
            # Everything the session appended before its last acked durable commit is there too.
            count = conn.execute(
                "SELECT COUNT(*), MAX(session_seq) FROM event WHERE session_id = ? AND seq <= ?",
                (sid, seq),
            ).fetchone()
            assert count[0] == count[1]
        conn.close()
    report = verify_chain(open_engine(db, create=False))
    assert report.ok, report.detail
