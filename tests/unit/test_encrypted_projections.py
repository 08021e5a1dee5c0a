"""Encryption at rest of the projections: session titles, workspaces and teams, approval
summaries, requests and reasons, and session memory values are sealed, bound to their row and
column, opened by every reader, and sealed in place when a plaintext database becomes
encrypted — with none of the old plaintext left in the file, its WAL or its shared memory."""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import sessions.store.engine
from agents.secrets.database_keys import KeyVault
from app.wiring.store import open_database, open_store
from sessions.schema import ApprovalRequested, ApprovalResolved, SessionCreated
from sessions.store import data_keys as keys
from sessions.store.approval_rows import find_approval, pending_approvals
from sessions.store.crypto import DecryptionError, KeyMissingError
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore
from sessions.store.memory import SessionMemory
from sessions.store.reading import list_sessions
from tests.keyring_support import use_plaintext_keyring

CANARY = "canary-7c1d-projection"
MEMORY = "memory-only-3a9f"  # memory values never enter the log: only a digest does


@pytest.fixture
def keyring_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_plaintext_keyring(tmp_path / "keyring", monkeypatch)


def _encrypt_from_now_on(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "config.toml").write_text("[storage]\nencrypt = true\n")


@pytest.fixture
def encrypted(tmp_path: Path, keyring_file: Path) -> None:
    """``[storage] encrypt = true`` in the config dir."""
    _encrypt_from_now_on(tmp_path)


async def _fill(store: EventStore, text: str, memory: str) -> None:
    """Two sessions (one untitled), an answered and a pending approval, memory values (one
    large enough to overflow a page), each carrying ``text`` (``memory`` in memory values)."""
    store.append_sync(
        "s1", "o", SessionCreated(title=f"{text} title", workspace=f"/w/{text}", team=text)
    )
    store.append_sync("s2", "o", SessionCreated(title=""))
    for n, sid in ((1, "s1"), (2, "s2")):
        store.append_sync(
            sid,
            "auth",
            ApprovalRequested(
                approval_id=f"ap{n}",
                call_id=f"c{n}",
                agent_id="a",
                role="implementer",
                tool="execute",
                summary=f"run {text} {n}",
                command=f"echo {text}",
                reason=text,
            ),
        )
    store.append_sync(
        "s1",
        "human:ann",
        ApprovalResolved(
            approval_id="ap1",
            outcome="denied",
            decided_by="ann",
            reason=f"no {text}",
        ),
    )
    memory_of_s1 = SessionMemory(store, "s1")
    await memory_of_s1.set("plan", {"note": memory})
    await memory_of_s1.set("big", (memory + " ") * 800)


def _on_disk(db: Path) -> bytes:
    """The database file, its WAL and its shared-memory file, as bytes."""
    return b"".join(
        p.read_bytes() for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()
    )


def _query(db: Path, sql: str) -> list[Any]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _assert_read_back(engine: Any, store: EventStore | None = None) -> None:
    """Every projection reader returns the plaintext."""
    s1, s2 = list_sessions(engine)
    assert (s1.title, s1.workspace, s1.state) == (f"{CANARY} title", f"/w/{CANARY}", "created")
    assert (s2.title, s2.workspace) == ("", None)
    [pending] = pending_approvals(engine)
    assert (pending.approval_id, pending.summary) == ("ap2", f"run {CANARY} 2")
    assert pending.request["command"] == f"echo {CANARY}"
    answered = find_approval(engine, "ap1")
    assert (answered.state, answered.decided_by, answered.reason) == (
        "denied",
        "ann",
        f"no {CANARY}",
    )
    if store is not None:
        memory = SessionMemory(store, "s1")
        assert memory.get("plan") == {"note": MEMORY}
        assert memory.get("big") == (MEMORY + " ") * 800


async def test_projection_content_is_sealed_and_every_reader_opens_it(
    encrypted: None, tmp_path: Path, keyring_file: Path
) -> None:
    db = tmp_path / "q.db"
    store = open_store(db)
    await _fill(store, CANARY, MEMORY)
    _assert_read_back(store.engine, store)
    while_open = _on_disk(db)
    store.close()
    for blob in (while_open, _on_disk(db)):
        assert CANARY.encode() not in blob and MEMORY.encode() not in blob
    kinds = _query(db, "SELECT typeof(title), typeof(workspace), typeof(team) FROM session")
    assert sorted(kinds) == [("blob", "blob", "blob"), ("text", "null", "null")]  # s2: untitled
    assert _query(db, "SELECT DISTINCT typeof(state), typeof(session_id) FROM session") == [
        ("text", "text")
    ]
    assert _query(db, "SELECT DISTINCT typeof(value) FROM session_memory") == [("blob",)]
    _assert_read_back(open_database(db))
    # The keys are nowhere on disk but in the keyring: neither the KEK nor a data key.
    state = keys.read_state(open_engine(db, create=False))
    assert state is not None
    kek = KeyVault().get(state.db_id, state.kek_version)
    assert kek is not None
    for key in [kek, *keys.unwrap_all(state, kek).values()]:
        wrapped = base64.urlsafe_b64encode(key)  # as the keyring holds a KEK
        for form in (
            key,
            base64.b64encode(key),
            wrapped,
            base64.b64encode(wrapped),
            key.hex().encode(),
        ):
            assert form not in _on_disk(db)


async def test_a_sealed_value_moved_to_another_row_or_column_fails_naming_it(
    encrypted: None, tmp_path: Path
) -> None:
    db = tmp_path / "q.db"
    with open_store(db) as store:
        await _fill(store, CANARY, MEMORY)
        store.append_sync("s3", "o", SessionCreated(title="third", workspace="/w/3"))

    def tamper(*statements: str) -> None:
        conn = sqlite3.connect(db)
        for sql in statements:
            conn.execute(sql)
        conn.commit()
        conn.close()

    swap_titles = (
        "UPDATE session SET title = (SELECT title FROM session WHERE session_id = 's3')"
        " WHERE session_id = 's1'"
    )
    tamper(swap_titles)
    with pytest.raises(DecryptionError, match=r"session row s1, column title: .*another row"):
        list_sessions(open_database(db))
    tamper(
        "UPDATE session SET title = workspace, workspace = title WHERE session_id = 's3'",
        "DELETE FROM session WHERE session_id = 's1'",
    )
    with pytest.raises(DecryptionError, match=r"session row s3, column title: .*or column"):
        list_sessions(open_database(db))
    tamper(
        "UPDATE approval SET summary = (SELECT summary FROM approval WHERE approval_id = 'ap1')"
        " WHERE approval_id = 'ap2'"
    )
    with pytest.raises(DecryptionError, match=r"approval row ap2, column summary"):
        pending_approvals(open_database(db))
    tamper("UPDATE session_memory SET key = 'moved' WHERE key = 'plan'")
    with (
        open_store(db) as store,
        pytest.raises(DecryptionError, match=r"session_memory row s1/moved, column value"),
    ):
        SessionMemory(store, "s1").get("moved")


async def test_without_the_key_readers_say_so_and_the_list_can_do_without_titles(
    encrypted: None, tmp_path: Path
) -> None:
    db = tmp_path / "q.db"
    with open_store(db) as store:
        await _fill(store, CANARY, MEMORY)
    bare = open_engine(db, create=False)  # no cipher attached, as without a keyring
    with pytest.raises(KeyMissingError, match=r"session row s1, column title is encrypted"):
        list_sessions(bare)
    with pytest.raises(KeyMissingError, match=r"approval row ap2, column summary is encrypted"):
        pending_approvals(bare)
    s1, s2 = list_sessions(bare, keyless=True)
    assert (s1.session_id, s1.state, s1.sealed, s1.title, s1.workspace) == (
        "s1",
        "created",
        True,
        "",
        None,
    )
    assert (s2.session_id, s2.sealed) == ("s2", False)  # nothing sealed: nothing hidden


def _holders(db: Path, needle: bytes) -> set[str]:
    """The b-trees whose pages hold ``needle`` — in the database file or any WAL frame —
    named by ``dbstat`` ("free" for a page that belongs to none, e.g. on the freelist)."""
    conn = sqlite3.connect(db)
    try:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        owner = dict(conn.execute("SELECT pageno, name FROM dbstat").fetchall())
    finally:
        conn.close()
    pages: set[int] = set()
    data = db.read_bytes()
    pages |= {i // size + 1 for i in range(len(data)) if data.startswith(needle, i)}
    wal = Path(f"{db}-wal")
    frames = wal.read_bytes()[32:] if wal.exists() else b""  # a 32-byte WAL header
    for start in range(0, len(frames), size + 24):  # each frame: 24-byte header, one page
        if needle in frames[start : start + size + 24]:
            pages.add(int.from_bytes(frames[start : start + 4], "big"))
    return {owner.get(page, "free") for page in pages}


@pytest.mark.parametrize("default", ["as built", "secure_delete off"])
async def test_turning_encryption_on_seals_the_projections_and_leaves_no_plaintext_of_them(
    default: str, tmp_path: Path, keyring_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if default == "secure_delete off":  # SQLite as most platforms build it, unlike Debian's
        configure = sessions.store.engine._configure

        def configure_off(conn: sqlite3.Connection, record: Any) -> None:
            configure(conn, record)
            conn.execute("PRAGMA secure_delete=OFF")

        monkeypatch.setattr(sessions.store.engine, "_configure", configure_off)
    db = tmp_path / "q.db"
    with open_store(db) as store:  # plaintext
        await _fill(store, CANARY, MEMORY)
    assert MEMORY.encode() in _on_disk(db)  # else the test below proves nothing
    assert "session" in _holders(db, CANARY.encode())

    _encrypt_from_now_on(tmp_path)
    store = open_store(db)
    try:
        _assert_read_back(store.engine, store)
        assert MEMORY.encode() not in _on_disk(db)
        # The log keeps what it was given in plaintext (it is append-only): the canary may
        # stay in the event table's pages, and in no projection's, nor in a free page.
        assert _holders(db, CANARY.encode()) == {"event"}
    finally:
        store.close()
    assert MEMORY.encode() not in _on_disk(db)
    assert _holders(db, CANARY.encode()) == {"event"}
    _assert_read_back(open_database(db))
