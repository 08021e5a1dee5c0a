"""``run --worktree`` and ``quarterdeck worktrees`` end to end: the real command, the demo team's
real agents, a real git repository; one-line errors and their exit codes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import orjson
import pytest

from agents.demo.workspace import copy_demo_workspace
from agents.team import bundled_team
from agents.worktrees.create import WORKTREES_DIR
from sessions.store.engine import open_engine
from sessions.store.reading import list_sessions, load_session
from tests.conftest import FIXTURES
from tests.conftest import run_cli as run
from tests.unit.worktrees.support import git_config

TASK = "Fix the failing moving_average test"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The error a failed command printed: exactly one line, no traceback."""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("quarterdeck: error: "), done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


def test_a_headless_run_in_a_worktree_is_kept_then_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git_config(tmp_path, monkeypatch)
    db, repo = tmp_path / "q.db", tmp_path / "calc"
    copy_demo_workspace(repo)
    start = git(repo, "rev-parse", "HEAD").strip()
    team = str(bundled_team("demo-team.toml"))
    args = ["--worktree", "--on-ask", "allow", "--team", team, "--workspace", str(repo)]
    done = run(db, "run", TASK, "--headless", *args)
    assert done.returncode == 0, done.stderr[-3000:]
    (session,) = list_sessions(open_engine(db, create=False))
    short = session.session_id[:8]
    worktree = tmp_path / WORKTREES_DIR / "calc" / short
    assert session.workspace == str(worktree)
    assert f"worktree: {worktree} on quarterdeck/{short} (from main)" in done.stderr
    assert f"session {short}: kept the worktree {worktree}: committed on quarterdeck/" in (
        done.stderr
    )
    assert f"quarterdeck worktrees merge {short}" in done.stderr
    assert f"quarterdeck worktrees discard {short}" in done.stderr
    assert git(repo, "rev-parse", "HEAD").strip() == start  # the checkout was left alone
    assert "window + 1" in git(repo, "show", f"quarterdeck/{short}:calc/stats.py")
    kinds = [r.kind for r in load_session(open_engine(db, create=False), session.session_id)]
    assert kinds[:2] == ["session.created", "worktree.created"]
    assert kinds[-2:] == ["session.finished", "worktree.kept"]
    assert "checkpoint" in kinds  # checkpoints worked inside the worktree

    listed = run(db, "worktrees", "--json")
    assert listed.returncode == 0, listed.stderr
    (row,) = [orjson.loads(line) for line in listed.stdout.splitlines()]
    assert row["state"] == "kept" and row["session_state"] == "succeeded"
    assert row["dirty"] is False and row["commits"] == 1 and row["path"] == str(worktree)
    table = run(db, "worktrees").stdout.splitlines()
    assert table[0].split() == [
        "SESSION",
        "ENDED",
        "AS",
        "WORKTREE",
        "FILES",
        "COMMITS",
        "BRANCH",
        "PATH",
    ]
    assert table[1].split() == [
        short,
        "succeeded",
        "kept",
        "clean",
        "1",
        f"quarterdeck/{short}",
        str(worktree),
    ]

    readme = worktree / "README.md"
    kept = readme.read_text()
    readme.write_text("edited by hand after the session\n")
    refused = run(db, "worktrees", "discard", short)
    assert refused.returncode == 1
    error = one_line_error(refused)
    assert "README.md (changed after the session ended)" in error
    assert f"`quarterdeck worktrees discard {short} --force`" in error
    assert readme.read_text() == "edited by hand after the session\n"
    readme.write_text(kept)

    merged = run(db, "worktrees", "merge", short)
    assert merged.returncode == 0, merged.stderr
    assert merged.stdout.strip() == f"merged quarterdeck/{short} into main (fast-forward)"
    assert "window + 1" in (repo / "calc" / "stats.py").read_text()
    assert not worktree.exists()
    again = run(db, "worktrees", "merge", short)
    assert again.returncode == 1
    assert one_line_error(again).endswith(f"the worktree of session {short} was already merged")


def test_no_worktree_outside_a_repository_exit_2_in_one_line(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    done = run(tmp_path / "q.db", "run", "x", "--headless", "--worktree", "--workspace", str(plain))
    assert done.returncode == 2
    assert f"{plain} is not in a git repository" in one_line_error(done)
    assert not (tmp_path / WORKTREES_DIR).exists()


def test_worktree_commands_on_what_is_not_there_fail_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    nothing = run(db, "worktrees")
    assert nothing.returncode == 1
    assert one_line_error(nothing) == f"quarterdeck: error: no database at {db}"
    assert run(db, "import", str(FIXTURES / "session-basic.jsonl")).returncode == 0
    empty = run(db, "worktrees")  # one session, which worked in place
    assert empty.returncode == 0 and "no worktrees" in empty.stdout
    assert run(db, "worktrees", "prune").stdout.strip() == "nothing to prune"
    missing = run(db, "worktrees", "discard", "nope")
    assert missing.returncode == 1
    assert one_line_error(missing) == "quarterdeck: error: no session matches 'nope'"
    in_place = run(db, "worktrees", "keep", "3f6c")
    assert in_place.returncode == 1
    assert one_line_error(in_place).endswith("session 3f6c1a2e has no worktree")
    usage = run(db, "worktrees", "merge")
    assert usage.returncode == 2  # argparse: the session is required
