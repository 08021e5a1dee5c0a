"""The real ``quarterdeck`` command in a real terminal (tmux): what a user does with the demo.

Keys go in through tmux, the screen is read back from it, and the outcome is checked in the
database the run wrote (approvals answered, sessions finished, the chain intact) and in the
process table (no agent left behind). Skipped where tmux is not installed.
"""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.demo.workspace import copy_demo_workspace
from sessions.schema.base import SYSTEM_SESSION
from tests.conftest import QUARTERDECK, run_cli
from tests.e2e.terminal import EXIT, TMUX, Terminal

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    """Terminals opened by a test; every one is killed at the end, even on failure."""
    opened: list[Terminal] = []
    yield opened
    for terminal in opened:
        terminal.close()


def _query(db: Path, sql: str) -> list[tuple[object, ...]]:
    if not db.exists():
        return []
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        try:
            return conn.execute(sql).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):  # the schema is not there yet
                return []
            raise


def _answered(db: Path) -> int:
    return int(_query(db, "SELECT count(*) FROM approval WHERE state != 'pending'")[0][0] or 0)


def _pending(db: Path) -> int:
    rows = _query(db, "SELECT count(*) FROM approval WHERE state = 'pending'")
    return int(rows[0][0]) if rows else 0


def _states(db: Path) -> list[str]:
    rows = _query(db, f"SELECT state FROM session WHERE session_id != '{SYSTEM_SESSION}'")
    return sorted(str(r[0]) for r in rows)


def _agent_pids(db: Path) -> list[int]:
    rows = _query(db, "SELECT payload FROM event WHERE kind = 'agent.started'")
    return [int(json.loads(str(r[0]))["pid"]) for r in rows if '"pid"' in str(r[0])]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def _demo(tmp_path: Path, terminals: list[Terminal]) -> tuple[Terminal, Path]:
    db = tmp_path / "q.db"
    command = [str(QUARTERDECK), "--db", str(db), "demo", "--workspace", str(tmp_path / "ws")]
    terminal = Terminal(command, cols=120, rows=40)
    terminals.append(terminal)
    terminal.wait_for(lambda s: "Sessions" in s and "Approvals" in s, "the first paint")
    return terminal, db


def _approve_until_done(terminal: Terminal, db: Path, *, sessions: int) -> None:
    """Press `a` on each approval the demo asks until all ``sessions`` have succeeded."""
    done = ["succeeded"] * sessions
    for _ in range(40):  # bounded: the demo asks a handful of times
        terminal.wait_for(
            lambda _s: _pending(db) > 0 or _states(db) == done, "an approval or the end"
        )
        if _states(db) == done:
            return
        # The screen may still show an approval the log already has an answer for (the bridge
        # delivers within a frame or a poll): `a` on it is refused. Press when both agree.
        terminal.wait_for(lambda s: f" {_pending(db)} waiting ═" in s, "the queue to catch up")
        before = _answered(db)
        terminal.press("a")
        try:
            terminal.wait_for(
                lambda _s, n=before: _answered(db) > n, "the answer to be recorded", timeout=15
            )
        except AssertionError:
            continue  # the queue changed under the key: look again (bounded by the loop)
    raise AssertionError(f"the sessions did not finish: {_states(db)}")


def test_the_demo_approved_from_the_keyboard_succeeds_and_quits_cleanly(
    tmp_path: Path, terminals: list[Terminal]
) -> None:
    terminal, db = _demo(tmp_path, terminals)
    _approve_until_done(terminal, db, sessions=2)
    screen = terminal.wait_for(lambda s: s.count("succeeded ·") == 2, "both sessions shown done")
    assert "none waiting" in screen
    terminal.press("C-q")  # nothing runs any more: quits without asking
    assert terminal.exit_status() == 0
    verified = run_cli(db, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_quitting_while_sessions_run_asks_first_then_leaves_no_agent(
    tmp_path: Path, terminals: list[Terminal]
) -> None:
    terminal, db = _demo(tmp_path, terminals)
    terminal.wait_for(lambda _s: _pending(db) > 0, "an approval")
    pids = _agent_pids(db)
    assert pids and all(_alive(p) for p in pids)
    terminal.press("C-q")
    terminal.wait_for(lambda s: "Quit Quarterdeck?" in s, "the question")
    terminal.press("n")
    terminal.wait_for(lambda s: "Quit Quarterdeck?" not in s, "the question to close")
    assert all(_alive(p) for p in pids)  # "no" changed nothing
    terminal.press("C-q")
    terminal.wait_for(lambda s: "Quit Quarterdeck?" in s, "the question again")
    terminal.press("y")
    status = terminal.exit_status()
    assert status == 1  # the demo's sessions were cancelled, not succeeded
    assert not [p for p in pids if _alive(p)]
    assert set(_states(db)) == {"cancelled"}


def test_a_file_that_is_not_a_database_is_a_one_line_error(
    tmp_path: Path, terminals: list[Terminal]
) -> None:
    db = tmp_path / "q.db"
    garbage = b"this is not SQLite" * 300
    db.write_bytes(garbage)
    terminal = Terminal([str(QUARTERDECK), "--db", str(db), "console"], cols=100, rows=30)
    terminals.append(terminal)
    assert terminal.exit_status() == 1
    screen = terminal.screen(joined=True)
    assert f"quarterdeck: error: cannot open the console: cannot open database {db}" in screen
    assert db.read_bytes() == garbage  # nothing was written to it


def test_n_starts_a_demo_session_from_the_keyboard_and_it_is_approved_to_success(
    tmp_path: Path, terminals: list[Terminal]
) -> None:
    workspace, db = tmp_path / "ws", tmp_path / "q.db"
    copy_demo_workspace(workspace)
    console = f"cd {shlex.quote(str(workspace))} && exec {QUARTERDECK} --db {db} console"
    terminal = Terminal(["sh", "-c", console], cols=120, rows=40)
    terminals.append(terminal)
    # The policy in the status bar: the console has opened (before, `n` says it is starting).
    terminal.wait_for(lambda s: " rules · " in s, "the console to open")
    terminal.press("n")
    terminal.wait_for(lambda s: "bundled · team.toml" in s, "the team files")
    terminal.press("-l", "Fix the failing moving_average test")
    terminal.wait_for(lambda s: "Fix the failing moving_average test" in s, "the task typed")
    # The workspace: the directory the console was opened in. A "/" typed after it is
    # completed to its first directory (shown while the input has the focus; not taken).
    terminal.press("Tab")
    terminal.press("/")
    terminal.wait_for(lambda s: f"{workspace}/calc/" in s, "the path completed")
    terminal.press("Tab")  # the team: open the list, the demo team is the next one
    terminal.wait_for(lambda s: f"{workspace}/calc/" not in s, "the team focused")
    terminal.press("Enter")
    terminal.wait_for(lambda s: "bundled · demo-team.toml" in s, "the list of teams")
    terminal.press("Down")
    terminal.press("Enter")
    terminal.wait_for(
        lambda s: "demo-team.toml" in s and "bundled · team.toml" not in s, "the demo team"
    )
    terminal.press("C-s")
    terminal.wait_for(lambda s: "New session" not in s and len(_states(db)) == 1, "the start")
    _approve_until_done(terminal, db, sessions=1)
    screen = terminal.wait_for(lambda s: "succeeded ·" in s, "the session shown done")
    assert "Timeline · Fix the failing moving_average" in screen  # selected when it started
    finished = "SELECT count(*) FROM event WHERE kind = 'session.finished'"
    terminal.wait_for(lambda _s: _query(db, finished)[0][0] == 1, "the session closed")
    terminal.press("C-q")
    # Its task may still be returning: then quitting asks (nothing is left to cancel).
    screen = terminal.wait_for(
        lambda s: EXIT.search(s) is not None or "Quit Quarterdeck?" in s, "the exit"
    )
    if "Quit Quarterdeck?" in screen:
        terminal.press("y")
    assert terminal.exit_status() == 0
    verified = run_cli(db, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
