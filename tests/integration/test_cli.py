"""The ``quarterdeck`` command end to end: import, list, show, export, verify, tampering."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from app.cli import main
from tests.conftest import FIXTURES, QUARTERDECK
from tests.conftest import run_cli as run

FIXTURE = FIXTURES / "session-basic.jsonl"
SESSION = "3f6c1a2e-9b1d-4c8e-a7f0-5d2b8e4c1a90"


def _essence(lines: list[str]) -> list[tuple[object, ...]]:
    records = [json.loads(line) for line in lines if line.strip()]
    return [(r["kind"], r["actor"], r["ts"], r["payload"], r["session_seq"]) for r in records]


def test_fixture_round_trips_through_import_show_and_export(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    imported = run(db, "import", str(FIXTURE))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == SESSION

    listed = run(db, "sessions", "--json")
    [line] = listed.stdout.splitlines()
    summary = json.loads(line)
    assert (summary["id"], summary["title"], summary["state"]) == (
        SESSION,
        "Add --version",
        "succeeded",
    )
    assert summary["events"] == 16

    shown = run(db, "show", SESSION[:6], "--json", "--raw")
    expected = _essence(FIXTURE.read_text(encoding="utf-8").splitlines())
    assert _essence(shown.stdout.splitlines()) == expected
    # Without --raw the agent's raw frames are left out, and only they.
    shown = run(db, "show", SESSION[:6], "--json")
    assert _essence(shown.stdout.splitlines()) == [e for e in expected if e[0] != "raw"]
    assert any(e[0] == "raw" for e in expected)

    out = tmp_path / "out.jsonl"
    exported = run(db, "export", SESSION[:8], "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    assert _essence(out.read_text(encoding="utf-8").splitlines()) == expected

    human = run(db, "show", SESSION[:4])
    assert "approval ap1 approved_once by alice" in human.stdout
    assert " raw " not in human.stdout and " raw " in run(db, "show", SESSION[:4], "--raw").stdout
    assert "check pytest passed" in human.stdout
    assert run(db, "audit", "verify").returncode == 0


def test_import_refuses_an_invalid_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "q.db"
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    broken = json.loads(lines[6])
    del broken["payload"]["call_id"]
    lines[6] = json.dumps(broken)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["--db", str(db), "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:7: payload.call_id: Field required" in err
    assert "Traceback" not in err
    assert main(["--db", str(db), "sessions"]) == 0
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda ls: ls.__setitem__(2, "{not json"), ":3: not valid JSON"),
        (
            lambda ls: ls.__setitem__(3, ls[3].replace("planner-1", "planner-2", 1)),
            ":4: the record does not match its hash",
        ),
        (lambda ls: ls.pop(5), ":6: session_seq 7, expected 6"),
    ],
)
def test_import_names_the_line_and_the_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mutate: object, message: str
) -> None:
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    mutate(lines)  # type: ignore[operator]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["--db", str(tmp_path / "q.db"), "import", str(bad)]) == 1
    assert message in capsys.readouterr().err


def test_importing_twice_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "q.db")
    assert main(["--db", db, "import", str(FIXTURE)]) == 0
    assert main(["--db", db, "import", str(FIXTURE)]) == 1
    assert "already in this database" in capsys.readouterr().err


def test_usage_errors_exit_2_and_failures_exit_1(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    assert run(db, "show").returncode == 2
    assert run(db, "frobnicate").returncode == 2
    missing = run(db, "show", "abc")
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"quarterdeck: error: no database at {db}"
    run(db, "import", str(FIXTURE))
    unknown = run(db, "show", "zzz")
    assert (unknown.returncode, unknown.stderr.strip()) == (
        1,
        "quarterdeck: error: no session matches 'zzz'",
    )


def test_no_arguments_opens_the_console_which_needs_a_terminal() -> None:
    done = subprocess.run(
        [str(QUARTERDECK)], capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 2 and "needs a terminal" in done.stderr
    usage = subprocess.run(
        [str(QUARTERDECK), "--help"], capture_output=True, text=True, check=False
    )
    assert usage.returncode == 0 and "usage: quarterdeck" in usage.stdout


@pytest.mark.skipif(
    shutil.which("sqlite3") is None, reason="the sqlite3 command-line tool is needed"
)
def test_tampering_with_the_sqlite3_tool_is_caught(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    assert run(db, "import", str(FIXTURE)).returncode == 0
    sql = (
        "DROP TRIGGER event_no_update; DROP TRIGGER event_no_delete;"
        " UPDATE event SET payload = replace(payload, 'pytest -q', 'rm -rf /') WHERE seq = 7;"
    )
    subprocess.run(["sqlite3", str(db), sql], check=True)
    verdict = run(db, "audit", "verify", "--json")
    assert verdict.returncode == 1
    report = json.loads(verdict.stdout)
    assert (report["bad_seq"], report["problem"]) == (7, "changed")
    assert "BROKEN at seq 7: changed" in run(db, "audit", "verify").stdout


@pytest.mark.skipif(
    shutil.which("sqlite3") is None, reason="the sqlite3 command-line tool is needed"
)
def test_a_deleted_tail_is_caught_with_the_anchors_file(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    assert run(db, "import", str(FIXTURE)).returncode == 0  # session.finished wrote an anchor
    sql = "DROP TRIGGER event_no_delete; DELETE FROM event WHERE seq > 12;"
    subprocess.run(["sqlite3", str(db), sql], check=True)
    report = json.loads(run(db, "audit", "verify", "--json").stdout)
    assert (report["ok"], report["problem"], report["bad_seq"]) == (False, "truncated", 13)
    anchors = Path(report["anchors_file"])
    copy = tmp_path / "kept-elsewhere.jsonl"
    shutil.copy(anchors, copy)
    anchors.unlink()
    assert run(db, "audit", "verify").returncode == 0  # without an anchor it cannot be seen
    again = run(db, "audit", "verify", "--anchor", str(copy))
    assert again.returncode == 1 and "truncated" in again.stdout
    assert run(db, "audit", "verify", "--anchor", str(tmp_path / "none")).returncode == 2
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
