"""Key rotation killed with SIGKILL at every step leaves a readable, verifiable database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from agents.storage_keys import KeyVault, rotate
from app.compose import open_database, open_store
from sessions.db import open_engine
from sessions.keys import read_state
from sessions.reading import load_session
from sessions.schema import AgentMessage
from sessions.verify import verify_chain
from tests.keyring_support import use_plaintext_keyring

ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("rotate_child.py")
STEPS = ["pending", "new-key-stored", "rewrapped", "old-key-deleted", "done"]


def _keks(db_id: str) -> list[int]:
    """The KEK versions of ``db_id`` present in the keyring (a rotation reaches at most 2)."""
    vault = KeyVault()
    return [version for version in (1, 2, 3) if vault.get(db_id, version) is not None]


@pytest.mark.parametrize("stop_at", STEPS)
def test_a_rotation_killed_at_any_step_leaves_a_readable_database(
    stop_at: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_plaintext_keyring(tmp_path / "keyring", monkeypatch)
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "config.toml").write_text("[storage]\nencrypt = true\n")
    db = tmp_path / "q.db"
    store = open_store(db)
    for i in range(20):
        store.append_sync("s1", "a", AgentMessage(agent_id="a", text=f"message {i}"))
    store.close()
    state = read_state(open_engine(db, create=False))
    assert state is not None

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(db), stop_at],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
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

    # And the key can be rotated again, then written and read.
    again = rotate(open_engine(db, create=False), KeyVault())
    assert again.kek_version == settled.kek_version + 1
    store = open_store(db)
    store.append_sync("s1", "a", AgentMessage(agent_id="a", text="after"))
    store.close()
    assert load_session(open_database(db), "s1")[-1].payload["text"] == "after"
