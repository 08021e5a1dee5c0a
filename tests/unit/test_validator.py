"""The validator: real check subprocesses, bounded output, timeouts, records and the digest."""

from __future__ import annotations

import os
import select
import sys
from pathlib import Path

import pytest

from agents.checkpoints.recorder import Checkpoints
from agents.roles.validator import Validator, run_check, workspace_digest
from agents.team import Check
from sessions.store.reading import load_session
from tests.conftest import StoreFactory

ENV = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}


def _exits(pid: int) -> bool:
    """True when ``pid`` (not our child) is gone or exits within a few seconds.

    A pidfd becomes readable when its process exits: we wait on that event, not on a clock.
    """
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([fd], [], [], 10)
        return bool(readable)
    finally:
        os.close(fd)


def py(code: str, *, name: str = "check", timeout_s: float = 30.0) -> Check:
    """A check that runs ``code`` with the interpreter running the tests."""
    return Check(name=name, command=["{python}", "-c", code], timeout_s=timeout_s)


async def test_a_passing_check(tmp_path: Path) -> None:
    (tmp_path / "marker.txt").write_text("here")
    code = "import os, pathlib; print(pathlib.Path('marker.txt').read_text(), os.environ['LANG'])"
    result = await run_check(py(code, name="ok"), workspace=tmp_path, env=ENV)
    assert result.passed and result.exit_code == 0 and not result.timed_out
    assert result.output == "here C.UTF-8\n"
    assert result.command == (sys.executable, "-c", code)
    assert result.name == "ok" and not result.truncated and result.duration_s >= 0


async def test_the_environment_is_exactly_the_one_given(tmp_path: Path) -> None:
    code = "import os; print(sorted(k for k in os.environ if k not in ('LC_CTYPE',)))"
    result = await run_check(py(code), workspace=tmp_path, env={"ONLY": "1"})
    assert result.output.strip() == "['ONLY']"


async def test_a_failing_check_keeps_stdout_and_stderr(tmp_path: Path) -> None:
    code = (
        "import sys; print('out'); sys.stdout.flush(); print('boom', file=sys.stderr); sys.exit(3)"
    )
    result = await run_check(py(code), workspace=tmp_path, env=ENV)
    assert not result.passed and result.exit_code == 3 and not result.timed_out
    assert "out" in result.output and "boom" in result.output


async def test_stdin_is_closed(tmp_path: Path) -> None:
    code = "import sys; print(repr(sys.stdin.read()))"
    result = await run_check(py(code), workspace=tmp_path, env=ENV)
    assert result.passed and result.output.strip() == "''"


async def test_a_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    # The check starts a sleeping grandchild, then sleeps itself: both must die.
    code = (
        "import subprocess, sys, time; "
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        f"open({str(pid_file)!r}, 'w').write(str(p.pid)); "
        "print('started', flush=True); time.sleep(60)"
    )
    result = await run_check(py(code, timeout_s=0.5), workspace=tmp_path, env=ENV)
    assert result.timed_out and not result.passed and result.exit_code is None
    assert "started" in result.output and "timed out after 0.5 s" in result.output
    assert _exits(int(pid_file.read_text()))


async def test_a_plain_sleeping_check_times_out(tmp_path: Path) -> None:
    check = py("import time; time.sleep(60)", timeout_s=0.5)
    result = await run_check(check, workspace=tmp_path, env=ENV)
    assert result.timed_out and not result.passed
    assert result.duration_s < 30


async def test_huge_output_keeps_only_the_tail(tmp_path: Path) -> None:
    code = "import sys; sys.stdout.write('x' * 500_000 + 'é' + 'THE END'); sys.exit(1)"
    result = await run_check(py(code), workspace=tmp_path, env=ENV, output_limit=1000)
    assert result.truncated and not result.passed
    assert result.output.endswith("éTHE END")
    assert len(result.output.encode()) <= 1000


async def test_a_cut_character_is_not_kept_half(tmp_path: Path) -> None:
    code = "import sys; sys.stdout.write('é' * 100)"
    result = await run_check(py(code), workspace=tmp_path, env=ENV, output_limit=9)
    assert result.truncated and result.output == "é" * 4


async def test_a_missing_program_is_a_failed_check(tmp_path: Path) -> None:
    check = Check(name="lint", command=["no-such-program-quarterdeck-test", "--flag"])
    result = await run_check(check, workspace=tmp_path, env=ENV)
    assert not result.passed and result.exit_code is None and not result.timed_out
    assert "cannot run 'no-such-program-quarterdeck-test'" in result.output


async def test_validator_records_every_check_and_no_checkpoint_on_failure(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    checks = [
        py("import sys; print('bad'); sys.exit(1)", name="first"),
        py("print('fine')", name="second"),
    ]
    validator = Validator(store, session_id="s1", workspace=tmp_path, checks=checks, env=ENV)
    passed, outcomes = await validator.validate(attempt=2)
    assert not passed and [o.passed for o in outcomes] == [False, True]
    records = load_session(store.engine, "s1")
    assert [r.kind for r in records] == ["validation.result", "validation.result"]
    first = records[0].payload
    assert first["check"] == "first" and first["exit_code"] == 1 and first["attempt"] == 2
    assert first["output"] == "bad\n" and first["command"][0] == sys.executable
    assert records[1].payload["passed"] is True and records[0].actor == "validator"


async def test_validator_checkpoints_when_all_pass(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    workspace = tmp_path / "ws"  # tmp_path also holds the database, which changes
    workspace.mkdir()
    (workspace / "app.py").write_text("print('hi')\n")
    checks = [py("pass", name="a"), py("pass", name="b")]
    checkpoints = Checkpoints(store, tmp_path / "shadows")
    validator = Validator(
        store,
        session_id="s1",
        workspace=workspace,
        checks=checks,
        env=ENV,
        actor="val-1",
        checkpoints=checkpoints,
    )
    passed, outcomes = await validator.validate(attempt=1)
    assert passed and len(outcomes) == 2
    records = load_session(store.engine, "s1")
    assert [r.kind for r in records] == ["validation.result", "validation.result", "checkpoint"]
    checkpoint = records[-1].payload
    commit = checkpoint.pop("checkpoint_id")
    assert checkpoint == {
        "at_seq": records[1].seq,
        "known_good": True,
        "label": "validated (attempt 1)",
    }
    assert records[-1].actor == "val-1"
    assert checkpoints.repo(workspace).paths(commit) == {"app.py"}  # the snapshot, in git


def test_a_validator_needs_checks(make_store: StoreFactory, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one check"):
        Validator(make_store(), session_id="s", workspace=tmp_path, checks=[], env={})


def test_the_digest_follows_content_and_paths(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("one")
    (tmp_path / "b.txt").write_text("two")
    first = workspace_digest(tmp_path)
    assert first == workspace_digest(tmp_path) and len(first) == 64
    (tmp_path / "src" / "a.py").write_text("ONE")
    changed = workspace_digest(tmp_path)
    assert changed != first
    (tmp_path / "src" / "a.py").write_text("one")
    assert workspace_digest(tmp_path) == first
    (tmp_path / "src" / "a.py").rename(tmp_path / "src" / "c.py")
    assert workspace_digest(tmp_path) != first
    (tmp_path / "src" / "c.py").rename(tmp_path / "src" / "a.py")
    os.utime(tmp_path / "b.txt", (0, 0))
    assert workspace_digest(tmp_path) == first  # timestamps are not content


def test_the_digest_ignores_excluded_dirs_and_does_not_follow_links(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("x = 1")
    base = workspace_digest(tmp_path)
    for name in (".git", ".venv", "node_modules", "__pycache__"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "junk").write_text("changes all the time")
    (tmp_path / "pkg" / "__pycache__").mkdir(parents=True)
    (tmp_path / "pkg" / "__pycache__" / "m.pyc").write_bytes(b"\0\1")
    with_pkg = workspace_digest(tmp_path)
    assert with_pkg == base  # only empty, excluded or excluded-content dirs were added
    assert workspace_digest(tmp_path, exclude=()) != base
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text("v1")
    (tmp_path / "link").symlink_to(outside)
    linked = workspace_digest(tmp_path)
    assert linked != base
    outside.write_text("v2, longer")
    assert workspace_digest(tmp_path) == linked  # the target text counts, not its content
