"""A session's worktree on real git repositories: made, merged, kept and discarded; refused
when it would lose someone's work or the merge is not clean, with everything left as it was."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.checkpoints.recorder import Checkpoints
from agents.worktrees.create import WORKTREES_DIR, create_worktree
from agents.worktrees.finish import WorktreeRefusedError
from agents.worktrees.git import WorktreeError, status_paths
from agents.worktrees.record import recorded
from sessions.schema.flow import DriftedFile, WorkspaceDrift
from sessions.schema.session import SessionState
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore
from sessions.store.reading import load_session
from tests.unit.worktrees.support import TASK, Bench, git_config, make_repo, sh


@pytest.fixture
def bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bench]:
    git_config(tmp_path, monkeypatch)
    store = EventStore(open_engine(tmp_path / "q.db"))
    try:
        yield Bench(make_repo(tmp_path / "repo"), store, Checkpoints(store, tmp_path / "shadows"))
    finally:
        store.close()


def _fix(workspace: Path) -> None:
    (workspace / "calc.py").write_text("def add(a, b):\n    return a + b  # fixed\n")


# -- making one ------------------------------------------------------------------------------


def test_a_worktree_is_made_beside_the_repository_on_its_own_branch(bench: Bench) -> None:
    (bench.repo / "README.md").write_text("# calc, changed and not committed\n")
    wt = bench.start()
    assert wt.branch == f"quarterdeck/{wt.session_id[:8]}"
    assert wt.path == bench.repo.parent / WORKTREES_DIR / "repo" / wt.session_id[:8]
    assert wt.workspace == wt.path and wt.repo == bench.repo
    assert wt.base_branch == "main"
    assert wt.base_commit == sh(bench.repo, "rev-parse", "HEAD").strip()
    assert sh(wt.path, "rev-parse", "--abbrev-ref", "HEAD").strip() == wt.branch
    assert (wt.path / "README.md").read_text() == "# calc\n"  # from the commit, not the checkout
    assert status_paths(wt.path) == []
    found = recorded(bench.store.engine, wt.session_id)
    assert found is not None and found.worktree == wt and found.state == "open"


def test_a_workspace_in_a_subdirectory_stays_in_the_same_subdirectory(bench: Bench) -> None:
    (bench.repo / "pkg").mkdir()
    (bench.repo / "pkg" / "mod.py").write_text("x = 1\n")
    sh(bench.repo, "add", "--all")
    sh(bench.repo, "commit", "--quiet", "-m", "pkg")
    wt = create_worktree(bench.repo / "pkg")
    assert wt.workspace == wt.path / "pkg" and (wt.workspace / "mod.py").is_file()


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("plain", "is not in a git repository: run `git init` and commit"),
        ("empty", "has no commits yet: commit once (`git commit`)"),
        ("detached", "is detached at"),
    ],
)
def test_no_worktree_without_a_branch_to_start_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setup: str, expected: str
) -> None:
    git_config(tmp_path, monkeypatch)
    where = tmp_path / setup
    if setup == "plain":
        where.mkdir()
    elif setup == "empty":
        where.mkdir()
        sh(where, "init", "--quiet")
    else:
        make_repo(where)
        sh(where, "checkout", "--quiet", "--detach")
    with pytest.raises(WorktreeError, match="start the session without a worktree") as caught:
        create_worktree(where)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)
    assert not (tmp_path / WORKTREES_DIR).exists()


# -- merge -----------------------------------------------------------------------------------


def test_merge_commits_the_sessions_changes_and_fast_forwards_the_starting_branch(
    bench: Bench,
) -> None:
    wt = bench.start()
    _fix(wt.workspace)
    (wt.workspace / "notes.txt").write_text("new file\n")
    bench.end(wt)
    done = bench.finisher().finish(wt.session_id, "merge")
    assert done.removed and done.commit is not None and done.head == done.commit
    assert "fast-forward" in done.message
    assert "# fixed" in (bench.repo / "calc.py").read_text()
    assert (bench.repo / "notes.txt").read_text() == "new file\n"
    subject, *_ = sh(bench.repo, "log", "-1", "--format=%B").splitlines()
    assert subject == f"quarterdeck {wt.session_id[:8]}: Fix the off-by-one in moving_average"
    assert f"Session: {wt.session_id}" in sh(bench.repo, "log", "-1", "--format=%B")
    assert not wt.path.exists()
    assert sh(bench.repo, "branch", "--list", wt.branch) == ""
    assert bench.kinds(wt)[-1] == "worktree.merged"
    found = recorded(bench.store.engine, wt.session_id)
    assert found is not None and found.state == "merged"


def test_merge_makes_a_merge_commit_when_the_starting_branch_moved(bench: Bench) -> None:
    wt = bench.start()
    _fix(wt.workspace)
    bench.end(wt)
    (bench.repo / "README.md").write_text("# calc\n\nmoved on\n")
    sh(bench.repo, "commit", "--quiet", "-am", "meanwhile")
    done = bench.finisher().finish(wt.session_id, "merge")
    assert "merge commit" in done.message
    parents = sh(bench.repo, "log", "-1", "--format=%P").split()
    assert len(parents) == 2 and done.commit in parents
    assert "# fixed" in (bench.repo / "calc.py").read_text()


def test_a_conflicting_merge_is_refused_and_leaves_everything_as_it_was(bench: Bench) -> None:
    wt = bench.start()
    _fix(wt.workspace)
    bench.end(wt)
    (bench.repo / "calc.py").write_text("def add(a, b):\n    return b + a\n")
    sh(bench.repo, "commit", "--quiet", "-am", "a conflicting change")
    head = sh(bench.repo, "rev-parse", "HEAD")
    tip = sh(bench.repo, "rev-parse", wt.branch)
    with pytest.raises(WorktreeRefusedError, match=r"conflicts in calc\.py: nothing was changed"):
        bench.finisher().finish(wt.session_id, "merge")
    assert sh(bench.repo, "rev-parse", "HEAD") == head
    assert sh(bench.repo, "rev-parse", wt.branch) == tip  # not even the session's commit
    assert status_paths(bench.repo) == [] and status_paths(wt.path) == ["calc.py"]
    assert "# fixed" in (wt.path / "calc.py").read_text()
    records = load_session(bench.store.engine, wt.session_id)
    assert records[-1].kind == "worktree.refused"
    assert records[-1].payload["choice"] == "merge"
    found = recorded(bench.store.engine, wt.session_id)
    assert found is not None and found.state == "open"


def test_merge_is_refused_over_uncommitted_changes_to_the_same_files(bench: Bench) -> None:
    wt = bench.start()
    _fix(wt.workspace)
    bench.end(wt)
    (bench.repo / "calc.py").write_text("# someone's work in progress\n")
    (bench.repo / "README.md").write_text("# other work, not in the way\n")
    with pytest.raises(WorktreeRefusedError, match=r"touch files the merge changes \(calc\.py\)"):
        bench.finisher().finish(wt.session_id, "merge")
    assert (bench.repo / "calc.py").read_text() == "# someone's work in progress\n"
    (bench.repo / "calc.py").write_text("def add(a, b):\n    return a + b\n")  # put back
    done = bench.finisher().finish(wt.session_id, "merge")  # the README is not in the way
    assert done.removed
    assert (bench.repo / "README.md").read_text() == "# other work, not in the way\n"


def test_merge_is_refused_when_the_checkout_is_on_another_branch(bench: Bench) -> None:
    wt = bench.start()
    _fix(wt.workspace)
    bench.end(wt)
    sh(bench.repo, "switch", "--quiet", "-c", "elsewhere")
    with pytest.raises(WorktreeRefusedError, match="has elsewhere checked out, not main"):
        bench.finisher().finish(wt.session_id, "merge")


def test_nothing_is_finished_while_the_session_runs(bench: Bench) -> None:
    wt = bench.start()
    with pytest.raises(WorktreeError, match="has not ended"):
        bench.finisher().finish(wt.session_id, "discard")
    assert wt.path.is_dir()


# -- keep ------------------------------------------------------------------------------------


def test_keep_commits_on_the_branch_and_removes_nothing(bench: Bench) -> None:
    wt = bench.start()
    _fix(wt.workspace)
    (wt.workspace / "run.log").write_text("ignored by the repository\n")
    bench.end(wt, SessionState.FAILED)
    done = bench.finisher().finish(wt.session_id, "keep")
    assert not done.removed and done.commit is not None
    assert sh(bench.repo, "rev-parse", wt.branch).strip() == done.commit
    assert status_paths(wt.path) == []  # committed; the ignored log is still there, untouched
    assert (wt.path / "run.log").is_file()
    assert sh(bench.repo, "show", "--name-only", "--format=", done.commit).split() == ["calc.py"]
    assert TASK.splitlines()[2] in sh(bench.repo, "log", "-1", "--format=%B", done.commit)
    assert bench.kinds(wt)[-1] == "worktree.kept"
    again = bench.finisher().finish(wt.session_id, "keep")  # nothing new
    assert again.commit is None and "nothing new to commit" in again.message


def test_generated_files_are_neither_committed_nor_protected(bench: Bench) -> None:
    wt = bench.start()
    _fix(wt.workspace)
    (wt.workspace / "__pycache__").mkdir()
    (wt.workspace / "__pycache__" / "calc.cpython-311.pyc").write_bytes(b"\0\1")
    (wt.workspace / ".fast-agent").mkdir()
    (wt.workspace / ".fast-agent" / "history.json").write_text("{}")
    bench.end(wt)
    done = bench.finisher().finish(wt.session_id, "merge")
    assert sh(bench.repo, "show", "--name-only", "--format=", done.commit).split() == ["calc.py"]
    assert done.removed and not wt.path.exists()


# -- discard ---------------------------------------------------------------------------------


def test_discard_removes_the_worktree_and_its_branch(bench: Bench) -> None:
    wt = bench.start()
    _fix(wt.workspace)
    bench.end(wt)
    head = sh(bench.repo, "rev-parse", "HEAD")
    done = bench.finisher().finish(wt.session_id, "discard")
    assert done.removed and done.dropped == ("calc.py",)
    assert not wt.path.exists() and sh(bench.repo, "branch", "--list", wt.branch) == ""
    assert sh(bench.repo, "rev-parse", "HEAD") == head
    assert "# fixed" not in (bench.repo / "calc.py").read_text()
    assert bench.kinds(wt)[-1] == "worktree.discarded"
    with pytest.raises(WorktreeError, match="was already discarded"):
        bench.finisher().finish(wt.session_id, "discard")


def test_discard_refuses_changes_made_after_the_session_ended(bench: Bench) -> None:
    wt = bench.start()
    _fix(wt.workspace)
    bench.end(wt)
    (wt.workspace / "README.md").write_text("# someone worked here after the session\n")
    with pytest.raises(WorktreeRefusedError) as caught:
        bench.finisher().finish(wt.session_id, "discard")
    message = str(caught.value)
    assert "has changes the session did not make: README.md (changed after the session ended)" in (
        message
    )
    assert f"quarterdeck worktrees discard {wt.session_id[:8]} --force" in message
    assert wt.path.is_dir() and sh(bench.repo, "branch", "--list", wt.branch) != ""
    assert (wt.workspace / "README.md").read_text().startswith("# someone")
    assert bench.kinds(wt)[-1] == "worktree.refused"
    forced = bench.finisher().finish(wt.session_id, "discard", force=True)
    assert forced.removed and forced.others == ("README.md",)
    assert not wt.path.exists()


def test_discard_refuses_a_change_to_a_file_the_session_changed_after_it_ended(
    bench: Bench,
) -> None:
    wt = bench.start()
    _fix(wt.workspace)
    bench.end(wt)
    (wt.workspace / "calc.py").write_text("def add(a, b):\n    return a + b  # tuned by hand\n")
    with pytest.raises(WorktreeRefusedError, match=r"calc\.py \(changed after the session ended\)"):
        bench.finisher().finish(wt.session_id, "discard")


def test_discard_refuses_when_no_end_checkpoint_vouches_for_the_changes(bench: Bench) -> None:
    wt = bench.start()
    _fix(wt.workspace)
    bench.checkpoints.forget(wt.session_id)  # ended without its end snapshot (a crash, say)
    from sessions.schema.session import SessionFinished

    bench.store.append_sync(wt.session_id, "orchestrator", SessionFinished(outcome="cancelled"))
    with pytest.raises(WorktreeRefusedError, match="no checkpoint of the session's end"):
        bench.finisher().finish(wt.session_id, "discard")
    assert (wt.workspace / "calc.py").read_text().endswith("# fixed\n")


def test_discard_refuses_commits_quarterdeck_did_not_make(bench: Bench) -> None:
    wt = bench.start()
    bench.end(wt)
    (wt.workspace / "extra.py").write_text("x = 1\n")
    sh(wt.path, "add", "extra.py")
    sh(wt.path, "commit", "--quiet", "-m", "by hand")
    with pytest.raises(WorktreeRefusedError, match="1 commit\\(s\\) Quarterdeck did not make"):
        bench.finisher().finish(wt.session_id, "discard")
    assert wt.path.is_dir()


def test_a_kept_commit_may_be_discarded(bench: Bench) -> None:
    wt = bench.start()
    _fix(wt.workspace)
    bench.end(wt)
    kept = bench.finisher().finish(wt.session_id, "keep")
    done = bench.finisher().finish(wt.session_id, "discard")
    assert done.head == kept.commit and done.removed


def test_discard_refuses_a_change_the_log_reports_as_drift(bench: Bench) -> None:
    wt = bench.start()
    _fix(wt.workspace)
    (wt.workspace / "notes.txt").write_text("written by no allowed action\n")
    drift = WorkspaceDrift(
        agent_id="implementer-1",
        turn=1,
        files=[DriftedFile(status="added", path="notes.txt")],
        total=1,
    )
    bench.store.append_sync(wt.session_id, "orchestrator", drift)
    bench.end(wt)
    with pytest.raises(WorktreeRefusedError) as caught:
        bench.finisher().finish(wt.session_id, "discard")
    assert "notes.txt (changed during the session by no allowed action)" in str(caught.value)
    assert "calc.py" not in str(caught.value)  # the session's own change is not in the way
