"""Encryption at rest: sealed payloads, row-bound ciphertexts, key-free verification, export."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson
import pytest

from agents.secrets.database_keys import KeyVault, open_cipher, rotate
from app.wiring.store import open_database, open_store
from sessions.schema import AgentMessage, SessionCreated, SessionFinished
from sessions.store.crypto import MARKER, DecryptionError, KeyMissingError, attach
from sessions.store.data_keys import read_state
from sessions.store.engine import open_engine
from sessions.store.reading import load_session
from sessions.store.transfer import export_session, import_session
from sessions.store.verify import Problem, verify_chain
from tests.keyring_support import use_plaintext_keyring

PLAIN = "the-launch-code-is-4711-zebra"


@pytest.fixture
def keyring_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_plaintext_keyring(tmp_path / "keyring", monkeypatch)


@pytest.fixture
def encrypted(tmp_path: Path, isolated_dirs: Path, keyring_file: Path) -> Path:
    """``[storage] encrypt = true`` in the config dir."""
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "config.toml").write_text("[storage]\nencrypt = true\n")
    return config / "config.toml"


def _fill(db: Path, texts: list[str]) -> None:
    store = open_store(db)
    try:
        store.append_sync("s1", "o", SessionCreated(title="demo"))
        for text in texts:
            store.append_sync("s1", "a", AgentMessage(agent_id="a", text=text))
        store.append_sync("s1", "o", SessionFinished(outcome="succeeded"))
    finally:
        store.close()


def _stored(db: Path) -> list[tuple[int, str]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT seq, payload FROM event ORDER BY seq").fetchall()
    finally:
        conn.close()


def test_payloads_are_sealed_and_read_back_plain(encrypted: Path, tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    _fill(db, [f"{PLAIN} {i}" for i in range(5)])
    assert all(payload.startswith(MARKER) for _, payload in _stored(db))
    records = load_session(open_database(db), "s1")
    assert [r.payload["text"] for r in records[1:-1]] == [f"{PLAIN} {i}" for i in range(5)]


def test_no_known_plaintext_in_the_database_file_or_its_wal(
    encrypted: Path, tmp_path: Path, keyring_file: Path
) -> None:
    db = tmp_path / "q.db"
    store = open_store(db)
    for i in range(50):
        store.append_sync("s1", "a", AgentMessage(agent_id="a", text=f"{PLAIN} #{i}"))
    files = [db, db.with_name("q.db-wal")]
    while_open = [p.read_bytes() for p in files if p.exists()]
    store.close()
    after = [p.read_bytes() for p in files if p.exists()]
    assert while_open and any(len(b) > 0 for b in while_open)
    for blob in while_open + after:
        assert PLAIN.encode() not in blob
        assert b"launch-code" not in blob
    assert PLAIN.encode() not in keyring_file.read_bytes()  # only keys live there


def test_a_ciphertext_moved_to_another_row_fails_naming_the_row(
    encrypted: Path, tmp_path: Path
) -> None:
    db = tmp_path / "q.db"
    _fill(db, ["first message", "second message"])
    rows = dict(_stored(db))
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER event_no_update")  # as an attacker with the file would
    conn.execute("UPDATE event SET payload = ? WHERE seq = 2", (rows[3],))
    conn.execute("UPDATE event SET payload = ? WHERE seq = 3", (rows[2],))
    conn.commit()
    conn.close()
    with pytest.raises(DecryptionError, match=r"seq 2 \(session s1, agent.message\).*another row"):
        load_session(open_database(db), "s1")
    report = verify_chain(open_engine(db, create=False))  # the chain covers the ciphertext
    assert not report.ok and report.bad_seq == 2 and report.problem is Problem.CHANGED


def test_audit_verify_needs_no_key(
    encrypted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "q.db"
    _fill(db, ["a", "b", "c"])
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    engine = open_engine(db, create=False)
    report = verify_chain(engine)
    assert report.ok and report.checked == 5
    with pytest.raises(KeyMissingError, match="seq 1 is encrypted and no key is loaded"):
        load_session(engine, "s1")


def test_export_decrypts_and_round_trips_through_import(encrypted: Path, tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    _fill(db, [f"{PLAIN} one", "two"])
    out = tmp_path / "s1.jsonl"
    with out.open("wb") as fh:
        assert export_session(open_database(db), "s1", fh) == 4
    lines = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert lines[1]["payload"]["text"] == f"{PLAIN} one"
    assert MARKER.encode() not in out.read_bytes()
    store = open_store(tmp_path / "other.db")
    try:
        imported = import_session(store, out)
    finally:
        store.close()
    again = load_session(open_database(tmp_path / "other.db"), imported.session_id)
    assert [r.payload for r in again] == [line["payload"] for line in lines]


def test_rotation_rewraps_keys_and_never_touches_the_log(encrypted: Path, tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    _fill(db, ["before rotation"])
    engine = open_engine(db, create=False)
    before = _stored(db)
    state = rotate(engine, KeyVault())
    assert state.kek_version == 2 and sorted(state.wrapped) == [1, 2]
    assert state.pending_version is None and state.retired_version is None
    assert KeyVault().get(state.db_id, 1) is None  # the old KEK is gone from the keyring
    assert _stored(db) == before
    _fill(db, ["after rotation"])
    texts = [r.payload.get("text") for r in load_session(open_database(db), "s1")]
    assert "before rotation" in texts and "after rotation" in texts
    assert verify_chain(engine).ok


def test_a_database_without_its_key_fails_clearly(
    encrypted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "q.db"
    _fill(db, ["x"])
    use_plaintext_keyring(tmp_path / "another-keyring", monkeypatch)
    with pytest.raises(Exception, match=r"its key \(storage-kek\..*\.v1\) is not in this keyring"):
        open_database(db)


def test_a_plaintext_database_becomes_encrypted_from_then_on(
    tmp_path: Path, keyring_file: Path
) -> None:
    db = tmp_path / "q.db"
    _fill(db, ["written in plaintext"])
    engine = open_engine(db, create=False)
    assert read_state(engine) is None
    open_cipher(engine, KeyVault(), create=True)
    attach(engine, None)
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "config.toml").write_text("[storage]\nencrypt = true\n")
    _fill(db, ["written sealed"])
    stored = [p for _, p in _stored(db)]
    assert not stored[0].startswith(MARKER) and stored[-1].startswith(MARKER)
    texts = [r.payload.get("text") for r in load_session(open_database(db), "s1")]
    assert texts.count("written in plaintext") == 1 and texts.count("written sealed") == 1
    assert verify_chain(engine).ok


def test_an_invalid_config_file_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "config.toml").write_text("[storage]\nencrypt = 'yes please'\n")
    from app.settings import SettingsError

    with pytest.raises(SettingsError, match=r"config.toml: storage.encrypt: "):
        open_store(tmp_path / "q.db")
