"""Listing every worktree the log knows, as the disk has it now; pruning the empty ones only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.checkpoints.recorder import Checkpoints
from agents.worktrees.listing import list_worktrees, prune
from agents.worktrees.record import recorded
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore
from tests.unit.worktrees.support import Bench, git_config, make_repo, sh


@pytest.fixture
def bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bench]:
    git_config(tmp_path, monkeypatch)
    store = EventStore(open_engine(tmp_path / "q.db"))
    try:
        yield Bench(make_repo(tmp_path / "repo"), store, Checkpoints(store, tmp_path / "shadows"))
    finally:
        store.close()


def test_the_list_says_what_each_worktree_holds(bench: Bench) -> None:
    empty, dirty, running = bench.start(), bench.start(), bench.start()
    (dirty.workspace / "calc.py").write_text("changed\n")
    (empty.workspace / "__pycache__").mkdir()
    (empty.workspace / "__pycache__" / "x.pyc").write_bytes(b"\0")  # generated: not a change
    bench.end(empty)
    bench.end(dirty)
    listed = {s.worktree.session_id: s for s in list_worktrees(bench.store, checkpoints_root=None)}
    assert list(listed) == [empty.session_id, dirty.session_id, running.session_id]
    assert not listed[empty.session_id].dirty and listed[empty.session_id].commits == 0
    assert listed[dirty.session_id].changes == ("calc.py",)
    assert not listed[running.session_id].recorded.session_ended


def test_prune_removes_only_ended_worktrees_with_nothing_in_them(bench: Bench) -> None:
    empty, dirty, kept, running = bench.start(), bench.start(), bench.start(), bench.start()
    (empty.workspace / "__pycache__").mkdir()
    (empty.workspace / "__pycache__" / "x.pyc").write_bytes(b"\0")
    (dirty.workspace / "calc.py").write_text("changed\n")
    (kept.workspace / "calc.py").write_text("kept\n")
    for wt in (empty, dirty, kept):
        bench.end(wt)
    bench.finisher().finish(kept.session_id, "keep")
    done = {
        p.status.worktree.session_id: p.result
        for p in prune(bench.store, checkpoints_root=None, actor="human:t")
    }
    assert done == {
        empty.session_id: "removed",
        dirty.session_id: "dirty",
        kept.session_id: "has commits",
        running.session_id: "running",
    }
    assert not empty.path.exists() and sh(bench.repo, "branch", "--list", empty.branch) == ""
    for wt in (dirty, kept, running):
        assert wt.path.is_dir() and sh(bench.repo, "branch", "--list", wt.branch) != ""
    assert (dirty.workspace / "calc.py").read_text() == "changed\n"
    pruned = recorded(bench.store.engine, empty.session_id)
    assert pruned is not None and pruned.state == "discarded"
    assert bench.kinds(empty)[-1] == "worktree.discarded"
    again = prune(bench.store, checkpoints_root=None, actor="human:t")
    assert empty.session_id not in {p.status.worktree.session_id for p in again}


def test_a_merge_commits_changes_made_after_the_session_too_and_says_whose(bench: Bench) -> None:
    wt = bench.start()
    (wt.workspace / "calc.py").write_text("fixed\n")
    bench.end(wt)
    bench.finisher().finish(wt.session_id, "keep")
    (wt.workspace / "scratch.txt").write_text("left after the session\n")
    done = bench.finisher().finish(wt.session_id, "merge")
    assert done.removed and done.others == ("scratch.txt",)
    message = sh(bench.repo, "log", "-1", "--format=%B", str(done.commit))
    assert "not by the session's recorded actions:\n  scratch.txt" in message
    assert (bench.repo / "scratch.txt").is_file()
    listed = list_worktrees(bench.store, checkpoints_root=None)
    assert [s.state for s in listed] == ["merged"] and not listed[0].exists
    assert prune(bench.store, checkpoints_root=None, actor="human:t") == []  # gone already
