"""An encrypted database through the real ``quarterdeck`` command: import, show, export, verify
without the keyring, and ``secrets rotate-key``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson
import pytest

from tests.conftest import FIXTURES, run_cli
from tests.keyring_support import use_plaintext_keyring

SESSION = FIXTURES / "session-basic.jsonl"
TASK = b"Add a --version flag"  # a string inside the fixture's payloads


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
    shown = run_cli(db, "sessions")
    assert shown.returncode == 0  # the session list is a projection: no key needed
    refused = run_cli(db, "export", "3f6c")
    assert refused.returncode == 1
    assert len(refused.stderr.strip().splitlines()) == 1 and "keyring" in refused.stderr


def test_rotate_key_then_read(db: Path) -> None:
    before = _log_payloads(db)
    done = run_cli(db, "secrets", "rotate-key")
    assert done.returncode == 0, done.stderr
    assert "key-encryption key version 2" in done.stdout
    assert _log_payloads(db) == before  # no event is rewritten
    assert run_cli(db, "show", "3f6c").returncode == 0
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
