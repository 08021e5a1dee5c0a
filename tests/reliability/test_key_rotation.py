"""Key rotation killed with SIGKILL at every step leaves a readable, verifiable database: log
and projections (sealed under any data key, old or new) alike."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from agents.secrets.database_keys import KeyVault, rotate
from app.wiring.store import open_database, open_store
from sessions.schema import AgentMessage, ApprovalRequested, SessionCreated
from sessions.store.approval_rows import pending_approvals
from sessions.store.data_keys import read_state
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore
from sessions.store.memory import SessionMemory
from sessions.store.reading import list_sessions, load_session
from sessions.store.verify import verify_chain
from tests.keyring_support import use_plaintext_keyring

ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("rotate_child.py")
STEPS = ["pending", "new-key-stored", "rewrapped", "old-key-deleted", "done"]


async def _add_session(store: EventStore, sid: str) -> None:
    """A titled session with a pending approval and a memory value: sealed projection rows."""
    store.append_sync(sid, "o", SessionCreated(title=f"title of {sid}", workspace=f"/w/{sid}"))
    store.append_sync(
        sid,
        "auth",
        ApprovalRequested(
            approval_id=f"ap-{sid}",
            call_id="c1",
            agent_id="a",
            role="implementer",
            tool="execute",
            summary=f"summary of {sid}",
            command=f"make {sid}",
        ),
    )
    await SessionMemory(store, sid).set("note", f"memory of {sid}")


def _assert_projections(db: Path, sids: list[str]) -> None:
    """Every projection reader opens what was sealed, whichever data key sealed it."""
    with open_store(db, create=False) as store:
        titled = [s for s in list_sessions(store.engine) if s.session_id != "s1"]  # untitled
        assert [(s.title, s.workspace) for s in titled] == [
            (f"title of {sid}", f"/w/{sid}") for sid in sids
        ]
        assert [(a.summary, a.request["command"]) for a in pending_approvals(store.engine)] == [
            (f"summary of {sid}", f"make {sid}") for sid in sids
        ]
        for sid in sids:
            assert SessionMemory(store, sid).get("note") == f"memory of {sid}"


def _keks(db_id: str) -> list[int]:
    """The KEK versions of ``db_id`` present in the keyring (a rotation reaches at most 2)."""
    vault = KeyVault()
    return [version for version in (1, 2, 3) if vault.get(db_id, version) is not None]


@pytest.mark.parametrize("stop_at", STEPS)
async def test_a_rotation_killed_at_any_step_leaves_a_readable_database(
    stop_at: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_plaintext_keyring(tmp_path / "keyring", monkeypatch)
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "config.toml").write_text("[storage]\nencrypt = true\n")
    db = tmp_path / "q.db"
    store = open_store(db)
    for i in range(20):
        store.append_sync("s1", "a", AgentMessage(agent_id="a", text=f"message {i}"))
    await _add_session(store, "s2")
    store.close()
    state = read_state(open_engine(db, create=False))
    assert state is not None

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(db), stop_at],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert child.stdout is not None
    reached = child.stdout.readline().decode().strip()
    assert reached == stop_at, child.stderr.read().decode() if child.stderr else ""
    child.send_signal(signal.SIGKILL)
    child.wait()
    for pipe in (child.stdin, child.stdout, child.stderr):
        if pipe is not None:
            pipe.close()

    engine = open_database(db)  # settles the interrupted rotation
    texts = [r.payload["text"] for r in load_session(engine, "s1")]
    assert texts == [f"message {i}" for i in range(20)]
    settled = read_state(engine)
    assert settled is not None
    assert settled.pending_version is None and settled.retired_version is None
    assert settled.kek_version in (1, 2)
    assert _keks(state.db_id) == [settled.kek_version]  # exactly the current KEK is left
    assert verify_chain(open_engine(db, create=False)).ok
    _assert_projections(db, ["s2"])

    # And the key can be rotated again, then written and read.
    again = rotate(open_engine(db, create=False), KeyVault())
    assert again.kek_version == settled.kek_version + 1
    store = open_store(db)
    store.append_sync("s1", "a", AgentMessage(agent_id="a", text="after"))
    await _add_session(store, "s3")  # sealed under the newest data key
    store.close()
    assert load_session(open_database(db), "s1")[-1].payload["text"] == "after"
    _assert_projections(db, ["s2", "s3"])
    newest = read_state(open_engine(db, create=False))
    assert newest is not None and newest.current_key > 1
    conn = sqlite3.connect(db)
    heads = dict(conn.execute("SELECT session_id, substr(title, 1, 5) FROM session").fetchall())
    conn.close()
    assert heads["s2"] == bytes([1]) + (1).to_bytes(4, "big")  # format 1, data key 1
    assert heads["s3"] == bytes([1]) + newest.current_key.to_bytes(4, "big")
