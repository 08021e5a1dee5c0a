"""``rollback``, ``fork`` and ``replay --redrive`` on an encrypted database, through the real
command: each reads the sealed log with the key from the keyring, and what it adds is sealed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from agents.checkpoints.recorder import Checkpoints
from app.paths import checkpoints_dir
from app.wiring.store import open_database, open_store
from sessions.schema import PolicyDecided, SessionCreated, ToolCallRequested
from sessions.store.crypto import MARKER
from sessions.store.reading import load_session
from tests.conftest import run_cli
from tests.keyring_support import use_plaintext_keyring

SID = "s-sealed"
COMMAND = "make release-notes"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The database path, with ``[storage] encrypt = true`` and a file keyring for every
    process of the test."""
    use_plaintext_keyring(tmp_path / "keyring", monkeypatch)
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "config.toml").write_text("[storage]\nencrypt = true\n")
    return tmp_path / "q.db"


async def _session(db: Path, ws: Path) -> int:
    """A session with a checkpoint of ``ws`` and one allowed command; returns the checkpoint's
    ``seq``. The workspace is changed afterwards, so there is something to roll back."""
    ws.mkdir()
    (ws / "a.txt").write_text("before\n")
    with open_store(db) as store:
        created = SessionCreated(title="t", workspace=str(ws.resolve()), team="demo")
        await store.append_durable(SID, "orchestrator", created)
        taken = await Checkpoints(store, checkpoints_dir()).take(
            SID, label="session start", workspace=ws
        )
        call = ToolCallRequested(agent_id="a1", call_id="c1", tool="execute", command=COMMAND)
        await store.append_durable(SID, "a1", call)
        allowed = PolicyDecided(call_id="c1", decision="allow", policy_hash="h", source="rule")
        await store.append_durable(SID, "auth", allowed)
    (ws / "a.txt").write_text("after\n")
    assert taken is not None
    return taken.seq


def _stored_payloads(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [row[0] for row in conn.execute("SELECT payload FROM event")]
    finally:
        conn.close()


async def test_rollback_fork_and_redrive_work_on_an_encrypted_log(tmp_path: Path, db: Path) -> None:
    ws, fork_ws = tmp_path / "ws", tmp_path / "fork"
    at = await _session(db, ws)
    assert all(p.startswith(MARKER) for p in _stored_payloads(db))

    done = run_cli(db, "rollback", SID, "--to", str(at), "--yes")
    assert done.returncode == 0, done.stderr
    assert (ws / "a.txt").read_text() == "before\n"
    undo = run_cli(db, "rollback", SID, "--undo", "--yes")
    assert undo.returncode == 0, undo.stderr
    assert (ws / "a.txt").read_text() == "after\n"

    forked = run_cli(db, "fork", SID, "--at", str(at), "--workspace", str(fork_ws))
    assert forked.returncode == 0, forked.stderr
    new = forked.stdout.strip()
    assert (fork_ws / "a.txt").read_text() == "before\n"

    no_rules = tmp_path / "empty.toml"
    no_rules.write_text("version = 1\n")  # no roles or rules: the recorded allow now diverges
    redrive = run_cli(db, "replay", SID, "--redrive", "--policy", str(no_rules))
    assert redrive.returncode == 1, redrive.stderr
    assert "allow → deny" in redrive.stdout and COMMAND in redrive.stdout

    engine = open_database(db)
    try:
        kinds = [r.kind for r in load_session(engine, SID)]
        origin = load_session(engine, new)[0].payload["origin"]
    finally:
        engine.dispose()
    assert kinds[-4:] == ["checkpoint", "rollback", "checkpoint", "rollback"]
    assert origin == {"session_id": SID, "seq": at}
    assert all(p.startswith(MARKER) for p in _stored_payloads(db))  # what they added is sealed
    assert run_cli(db, "audit", "verify").returncode == 0


async def test_redrive_without_the_key_fails_in_one_line(
    tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _session(db, tmp_path / "ws")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    refused = run_cli(db, "replay", SID, "--redrive")
    assert refused.returncode == 1
    assert len(refused.stderr.strip().splitlines()) == 1 and "keyring" in refused.stderr
