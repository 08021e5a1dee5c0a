"""An encrypted database through the real ``quarterdeck`` command: import, show, export, verify
without the keyring, ``sessions`` and ``approvals`` with and without it, and
``secrets rotate-key``."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import orjson
import pytest

from agents.approvals.broker import (
    ApprovalBroker,
    BrokerEvent,
    Outcome,
    RequestAdded,
)
from agents.auth.requests import ToolKind, ToolRequest
from app.wiring.store import open_store
from sessions.schema import SessionCreated
from tests.conftest import FIXTURES, run_cli
from tests.keyring_support import use_plaintext_keyring

SESSION = FIXTURES / "session-basic.jsonl"
TASK = b"Add a --version flag"  # a string inside the fixture's payloads
TITLE = "Add --version"  # the fixture session's title, in its projection too


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database with the fixture session imported under ``[storage] encrypt = true``."""
    use_plaintext_keyring(tmp_path / "keyring", monkeypatch)
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "config.toml").write_text("[storage]\nencrypt = true\n")
    path = tmp_path / "q.db"
    done = run_cli(path, "import", str(SESSION))
    assert done.returncode == 0, done.stderr
    return path


def _log_payloads(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [row[0] for row in conn.execute("SELECT payload FROM event")]
    finally:
        conn.close()


def test_show_and_export_decrypt_and_the_log_holds_ciphertext(db: Path, tmp_path: Path) -> None:
    assert all(TASK.decode() not in payload for payload in _log_payloads(db))
    sid = orjson.loads(SESSION.read_bytes().splitlines()[0])["session_id"]
    shown = run_cli(db, "show", sid[:8])
    assert shown.returncode == 0, shown.stderr
    assert "session.created" in shown.stdout
    out = tmp_path / "export.jsonl"
    exported = run_cli(db, "export", sid[:8], "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    original = [orjson.loads(line)["payload"] for line in SESSION.read_bytes().splitlines()]
    again = [orjson.loads(line)["payload"] for line in out.read_bytes().splitlines()]
    assert again == original
    # The export re-imports (its hashes cover the plaintext it carries).
    assert run_cli(tmp_path / "other.db", "import", str(out)).returncode == 0


def test_audit_verify_works_without_any_keyring(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    done = run_cli(db, "audit", "verify")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: 16 events")
    listed = run_cli(db, "sessions")  # ids, states and counts need no key; titles do
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("3f6c") and "[title encrypted]" in listed.stdout
    assert TITLE not in listed.stdout
    [note] = listed.stderr.splitlines()
    assert note.startswith("quarterdeck: note: titles are encrypted and not shown: ")
    assert "keyring" in note
    as_json = orjson.loads(run_cli(db, "sessions", "--json").stdout)
    assert (as_json["title"], as_json["state"], as_json["events"]) == (None, "succeeded", 16)
    for command in ("approvals", "show"):
        refused = run_cli(db, command, *(["3f6c"] if command == "show" else []))
        assert refused.returncode == 1
        assert len(refused.stderr.strip().splitlines()) == 1 and "keyring" in refused.stderr
    refused = run_cli(db, "export", "3f6c")
    assert refused.returncode == 1
    assert len(refused.stderr.strip().splitlines()) == 1 and "keyring" in refused.stderr


def _on_disk(db: Path) -> bytes:
    return b"".join(
        p.read_bytes() for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()
    )


def test_an_import_seals_the_projections_it_rebuilds_and_sessions_opens_them(db: Path) -> None:
    # Import is how projections are rebuilt from a log: through the writer, which seals.
    assert TITLE.encode() not in _on_disk(db) and TASK not in _on_disk(db)
    listed = run_cli(db, "sessions", "--json")
    assert listed.returncode == 0 and listed.stderr == ""
    assert orjson.loads(listed.stdout)["title"] == TITLE
    assert run_cli(db, "sessions").stdout.rstrip().endswith(TITLE)


async def test_approvals_of_an_encrypted_database_are_listed_and_answered_in_plaintext(
    db: Path, tmp_path: Path
) -> None:
    secret_command = "deploy --token-name canary-0b1e"
    store = open_store(db, create=False)
    try:
        broker = ApprovalBroker(store, timeout_s=120)
        asked = asyncio.Event()

        def listener(event: BrokerEvent) -> None:
            if isinstance(event, RequestAdded):
                asked.set()

        broker.subscribe(listener)
        store.append_sync("s-ask", "orchestrator", SessionCreated(title="asking", workspace="/w"))
        task = asyncio.create_task(
            broker.request(
                session_id="s-ask",
                agent_id="impl-1",
                call_id="c1",
                summary=secret_command,
                request=ToolRequest(
                    tool=ToolKind.EXECUTE,
                    role="implementer",
                    workspace=tmp_path,
                    command=secret_command,
                ),
            )
        )
        await asyncio.wait_for(asked.wait(), 10)
        listed = await asyncio.to_thread(run_cli, db, "approvals", "--json")
        assert listed.returncode == 0, listed.stderr
        [row] = [orjson.loads(line) for line in listed.stdout.splitlines()]
        assert (row["summary"], row["command"], row["status"]) == (
            secret_command,
            secret_command,
            "waiting",
        )
        denied = await asyncio.to_thread(
            run_cli, db, "deny", row["id"], "--reason", "not canary-0b1e today"
        )
        assert denied.returncode == 0, denied.stderr
        assert await broker.sync_external() == 1  # read back from the sealed projection
        resolution = await task
        assert (resolution.outcome, resolution.reason) == (Outcome.DENIED, "not canary-0b1e today")
    finally:
        store.close()
    assert b"canary-0b1e" not in _on_disk(db)


def test_rotate_key_then_read(db: Path) -> None:
    before = _log_payloads(db)
    done = run_cli(db, "secrets", "rotate-key")
    assert done.returncode == 0, done.stderr
    assert "key-encryption key version 2" in done.stdout
    assert _log_payloads(db) == before  # no event is rewritten
    assert run_cli(db, "show", "3f6c").returncode == 0
    assert orjson.loads(run_cli(db, "sessions", "--json").stdout)["title"] == TITLE
    assert run_cli(db, "audit", "verify").returncode == 0


def test_rotate_key_on_a_plaintext_database_fails_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_plaintext_keyring(tmp_path / "keyring", monkeypatch)
    path = tmp_path / "plain.db"
    assert run_cli(path, "import", str(SESSION)).returncode == 0
    done = run_cli(path, "secrets", "rotate-key")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "quarterdeck: error: the database is not encrypted: there is no key to rotate"
    )
