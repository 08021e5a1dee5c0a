"""Turning encryption on, killed with SIGKILL right after the projections were sealed: the WAL
holds none of their old plaintext, and the next checkpoint clears it from the file too."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.wiring.store import open_database, open_store
from sessions.schema import SessionCreated
from sessions.store.data_keys import read_state
from sessions.store.memory import SessionMemory
from sessions.store.reading import list_sessions
from tests.keyring_support import use_plaintext_keyring

ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("encrypt_child.py")
TITLE = "title-canary-61b0"
MEMORY = "memory-canary-e2d4"  # only in the memory projection: the log keeps a digest


async def test_killed_after_sealing_no_plaintext_of_the_projections_is_left_in_the_wal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_plaintext_keyring(tmp_path / "keyring", monkeypatch)
    db = tmp_path / "q.db"
    with open_store(db) as store:  # plaintext
        store.append_sync("s1", "o", SessionCreated(title=TITLE))
        await SessionMemory(store, "s1").set("note", MEMORY)
    wal = Path(f"{db}-wal")
    console = sqlite3.connect(db)  # another process with the database open keeps its WAL
    try:
        console.execute("SELECT count(*) FROM event").fetchone()
        assert MEMORY.encode() in wal.read_bytes()  # else the test below proves nothing

        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        child = subprocess.Popen(
            [sys.executable, str(CHILD), str(db), "sealed"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert child.stdout is not None
        reached = child.stdout.readline().decode().strip()
        assert reached == "sealed", child.stderr.read().decode() if child.stderr else ""
        child.send_signal(signal.SIGKILL)
        child.wait()
        for pipe in (child.stdin, child.stdout, child.stderr):
            if pipe is not None:
                pipe.close()

        assert MEMORY.encode() not in wal.read_bytes()
        assert MEMORY.encode() in db.read_bytes()  # the old page, until a checkpoint
    finally:
        console.close()
    assert read_state(open_database(db)) is not None  # the database is encrypted
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "config.toml").write_text("[storage]\nencrypt = true\n")
    with open_store(db) as store:  # closing runs a checkpoint
        assert [s.title for s in list_sessions(store.engine)] == [TITLE]
        assert SessionMemory(store, "s1").get("note") == MEMORY
    on_disk = b"".join(p.read_bytes() for p in (db, wal) if p.exists())
    assert MEMORY.encode() not in on_disk
