"""The console on an encrypted database: its history, what another process commits and the
replay screen are read with the key from the keyring — titles and texts, never ciphertext."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from app.console import QuarterdeckApp
from app.wiring.console_boot import Boot
from app.wiring.store import open_store
from screens.replay import ReplayScreen
from sessions.schema import AgentThought, SessionCreated
from sessions.store.crypto import MARKER
from tests.keyring_support import use_plaintext_keyring
from tests.ui.conftest import ready

TITLE = "Sealed session"
EARLIER = "written before the console opened"
LATER = "written by another process while the console runs"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database whose every payload is sealed (``[storage] encrypt = true``)."""
    use_plaintext_keyring(tmp_path / "keyring", monkeypatch)
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "config.toml").write_text("[storage]\nencrypt = true\n")
    path = tmp_path / "q.db"
    with open_store(path) as store:
        store.append_sync("s1", "orchestrator", SessionCreated(title=TITLE))
        store.append_sync("s1", "a1", AgentThought(agent_id="a1", text=EARLIER))
    assert all(p.startswith(MARKER) for p in _stored_payloads(path))  # else nothing is tested
    return path


def _stored_payloads(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("SELECT payload FROM event")]
    finally:
        conn.close()


def _append_elsewhere(path: Path, text: str) -> None:
    """Commit through a store of its own: the console hears of it only by reading the file."""
    with open_store(path, create=False) as store:
        store.append_sync("s1", "a1", AgentThought(agent_id="a1", text=text))


def _shows(app: QuarterdeckApp, text: str) -> bool:
    return any(text in entry.summary for entry in app.model.timeline("s1"))


async def _until(pilot: Pilot[int], done: Callable[[], bool], what: str) -> None:
    for _ in range(600):  # bounded: the bridge polls the file every 0.5 s
        if done():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def test_boot_reads_an_encrypted_database_in_plaintext(db: Path) -> None:
    boot = Boot(db=str(db))
    opened = await boot.open_async()
    try:
        read = await asyncio.to_thread(opened.source.read_after, 0, 100)
        records = [r for r in read if r.session_id == "s1"]  # not the policy's reload
        assert [r.payload.get("title") or r.payload.get("text") for r in records] == [
            TITLE,
            EARLIER,
        ]
        replayed = await asyncio.to_thread(boot.load_session, "s1")
        assert [r.payload for r in replayed] == [r.payload for r in records]
    finally:
        await opened.close()


async def test_the_console_shows_history_live_commits_and_replay_of_an_encrypted_database(
    db: Path,
) -> None:
    app = QuarterdeckApp(Boot(db=str(db)), tick_s=None)
    async with app.run_test(size=(140, 44)) as pilot:
        await ready(pilot)
        session = app.model.view.session("s1")
        assert session is not None and session.title == TITLE
        assert _shows(app, EARLIER)

        await asyncio.to_thread(_append_elsewhere, db, LATER)
        await _until(pilot, lambda: _shows(app, LATER), "the other process's commit")

        app.open_replay("s1")
        await ready(pilot)
        screen = app.screen
        assert isinstance(screen, ReplayScreen) and screen.replay is not None
        replayed = screen.replay.final.session("s1")
        assert replayed is not None and replayed.title == TITLE

        await pilot.press("ctrl+q")
        await asyncio.wait_for(app.closed.wait(), 60)
    assert app.return_code in (None, 0)


async def test_without_the_key_the_console_ends_with_one_line_saying_so(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    app = QuarterdeckApp(Boot(db=str(db)), tick_s=None)
    async with app.run_test(size=(140, 44)) as pilot:
        await _until(pilot, lambda: app.failure is not None, "the console to give up")
    assert app.return_code == 1
    assert app.failure is not None and "keyring" in app.failure
    assert len(app.failure.splitlines()) == 1
