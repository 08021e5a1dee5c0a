"""``quarterdeck search`` end to end: the real command on real databases, a fresh one, one
written before the index existed, and an encrypted one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson
import pytest

from sessions.schema import AgentMessage, SessionCreated, ToolCallRequested
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore
from tests.conftest import FIXTURES
from tests.conftest import run_cli as run
from tests.keyring_support import use_plaintext_keyring

FIXTURE = FIXTURES / "session-basic.jsonl"
SESSION = "3f6c1a2e-9b1d-4c8e-a7f0-5d2b8e4c1a90"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """The fixture session imported, and a second session that deployed."""
    path = tmp_path / "q.db"
    assert run(path, "import", str(FIXTURE)).returncode == 0
    with EventStore(open_engine(path)) as store:
        store.append_sync("s-two", "o", SessionCreated(title="Ship it"))
        command = "make deploy ENV=staging"
        request = ToolCallRequested(agent_id="a", call_id="c", tool="execute", command=command)
        store.append_sync("s-two", "a", request)
    return path


def test_results_are_printed_best_first_and_exit_0(db: Path) -> None:
    done = run(db, "search", "pytest")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 4  # two results, two lines each
    assert lines[0].startswith(f"{SESSION[:8]}       13  2026-09-21 14:13:26  validation.result")
    assert lines[0].endswith("Add --version")
    assert lines[1].strip() == "pytest · passed"  # not a terminal: no bold
    assert lines[2].split()[1] == "7" and "tool.requested" in lines[2]
    assert done.stderr.strip() == f"open one: quarterdeck replay {SESSION[:8]} --at 13"


def test_json_lines_carry_where_and_what_matched(db: Path) -> None:
    done = run(db, "search", "--json", "deploy", "staging")
    assert done.returncode == 0, done.stderr
    [hit] = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert (hit["session_id"], hit["seq"], hit["kind"], hit["title"]) == (
        "s-two",
        18,
        "tool.requested",
        "Ship it",
    )
    marked = [hit["snippet"][a:b] for a, b in hit["highlights"]]
    assert marked == ["deploy", "staging"] and hit["score"] > 0
    assert done.stderr == ""


def test_filters_narrow_and_nothing_found_exits_1(db: Path) -> None:
    by_session = run(db, "search", "--json", "--session", SESSION[:6], "pytest")
    assert {orjson.loads(line)["session_id"] for line in by_session.stdout.splitlines()} == {
        SESSION
    }
    by_kind = run(db, "search", "--json", "--kind", "tool.requested", "pytest")
    assert [orjson.loads(line)["seq"] for line in by_kind.stdout.splitlines()] == [7]
    limited = run(db, "search", "--json", "--limit", "1", "pytest")
    assert len(limited.stdout.splitlines()) == 1
    none = run(db, "search", "kubernetes")
    assert (none.returncode, none.stdout, none.stderr) == (1, "", "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--", "-", "&&"], "nothing to search for"),
        (["--kind", "tool.output", "x"], "records of kind 'tool.output' are not searched"),
        (["--session", "nosuch", "x"], "no session matches 'nosuch'"),
        (["--limit", "0", "x"], "--limit must be at least 1"),
    ],
)
def test_what_cannot_be_searched_is_one_line_and_exit_2(
    db: Path, args: list[str], message: str
) -> None:
    done = run(db, "search", *args)
    assert done.returncode == 2 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("quarterdeck: error: ") and message in line


def test_a_database_written_before_the_index_is_indexed_by_the_first_search(
    tmp_path: Path,
) -> None:
    db = tmp_path / "old.db"
    with EventStore(open_engine(db)) as store:
        store.append_sync("s1", "o", SessionCreated(title="Old news"))
        for piece in ("rotate the ", "cert", "ificates"):
            store.append_sync("s1", "a", AgentMessage(agent_id="a", text=piece))
    conn = sqlite3.connect(db, isolation_level=None)  # as Quarterdeck left it before the index
    for table in ("search_text", "search_state", "search_tail"):
        conn.execute(f"DROP TABLE {table}")
    conn.execute("PRAGMA user_version=1")
    conn.close()
    first = run(db, "search", "--json", "certificates")
    assert first.returncode == 0, first.stderr
    assert "indexing the log for search (4 events left, once)" in first.stderr
    assert [orjson.loads(line)["seq"] for line in first.stdout.splitlines()] == [2]
    again = run(db, "search", "--json", "certificates")
    assert again.stdout == first.stdout and again.stderr == ""  # indexed once


def test_an_encrypted_database_is_not_searched_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_plaintext_keyring(tmp_path / "keyring", monkeypatch)
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "config.toml").write_text("[storage]\nencrypt = true\n")
    db = tmp_path / "q.db"
    assert run(db, "import", str(FIXTURE)).returncode == 0
    done = run(db, "search", "pytest")
    assert done.returncode == 2 and done.stdout == ""
    assert "it is encrypted ([storage] encrypt = true)" in done.stderr


def test_replay_at_needs_the_screen_not_redrive(db: Path) -> None:
    done = run(db, "replay", SESSION[:8], "--redrive", "--at", "7")
    assert done.returncode == 2
    assert "--at opens the replay screen" in done.stderr
