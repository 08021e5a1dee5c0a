"""Every worktree Quarterdeck made, as the log has it and as the disk has it now; and pruning
the ones nothing is left in.

Pruning removes a worktree only when its session has ended and nothing would be lost: no
uncommitted change but generated files (:func:`~agents.worktrees.changes.generated`) and no
commit on its branch since it was made. A merged or discarded worktree left behind (it held
more when it was merged) goes once it is clean too. A dirty worktree is never pruned.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agents.worktrees.changes import generated
from agents.worktrees.create import Worktree
from agents.worktrees.git import WorktreeError, git, run, status_paths
from agents.worktrees.record import Recorded, WorktreeState, all_recorded, recorded
from sessions.schema.worktree import WorktreeDiscarded
from sessions.store.event_store import EventStore


@dataclass(frozen=True, slots=True, kw_only=True)
class WorktreeStatus:
    """One worktree: what the log says, and what is on disk now."""

    recorded: Recorded
    exists: bool
    """Its directory is there."""
    changes: tuple[str, ...] = ()
    """Its uncommitted changes, generated files left out."""
    commits: int = 0
    """Commits on its branch since it was made (-1: the branch is gone)."""

    @property
    def worktree(self) -> Worktree:
        """Where it was made, on which branch, from which commit."""
        return self.recorded.worktree

    @property
    def state(self) -> WorktreeState:
        """What became of it, as the log says."""
        return self.recorded.state

    @property
    def dirty(self) -> bool:
        """It holds uncommitted changes."""
        return bool(self.changes)


def _look(found: Recorded, checkpoints_root: Path | None) -> WorktreeStatus:
    """What is on disk now of one recorded worktree."""
    wt = found.worktree
    branch = run(wt.repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{wt.branch}")
    commits = -1
    if branch.ok:
        listed = run(wt.repo, "rev-list", "--count", branch.out.strip(), "--not", wt.base_commit)
        commits = int(listed.out.strip()) if listed.ok else 0
    if not wt.path.is_dir():
        return WorktreeStatus(recorded=found, exists=False, commits=commits)
    dirty = status_paths(wt.path)
    made = generated(wt, dirty, checkpoints_root=checkpoints_root)
    changes = tuple(p for p in dirty if p not in made)
    return WorktreeStatus(recorded=found, exists=True, changes=changes, commits=commits)


def status_of(
    store: EventStore, session_id: str, *, checkpoints_root: Path | None
) -> WorktreeStatus | None:
    """``session_id``'s worktree, looked at on disk now; None when it has none. Blocking."""
    found = recorded(store.engine, session_id)
    if found is None:
        return None
    try:
        return _look(found, checkpoints_root)
    except WorktreeError:
        return WorktreeStatus(recorded=found, exists=False, commits=-1)


def list_worktrees(store: EventStore, *, checkpoints_root: Path | None) -> list[WorktreeStatus]:
    """Every worktree the log knows, looked at on disk now, oldest first. Blocking."""
    found: list[WorktreeStatus] = []
    for entry in all_recorded(store.engine):
        try:
            found.append(_look(entry, checkpoints_root))
        except WorktreeError:  # its repository is gone or unreadable: listed as missing
            found.append(WorktreeStatus(recorded=entry, exists=False, commits=-1))
    return found


PruneResult = Literal["removed", "dirty", "has commits", "running", "gone", "failed"]


@dataclass(frozen=True, slots=True)
class Pruned:
    """What pruning did with one worktree (``failed``: git refused; ``error`` says why)."""

    status: WorktreeStatus
    result: PruneResult
    error: str = ""


def prune(store: EventStore, *, checkpoints_root: Path | None, actor: str) -> list[Pruned]:
    """Remove every worktree nothing is left in (and its branch); each removal of one not yet
    merged or discarded is a ``worktree.discarded`` event (``pruned``). Blocking."""
    done: list[Pruned] = []
    for status in list_worktrees(store, checkpoints_root=checkpoints_root):
        try:
            result = _prune_one(status)
        except WorktreeError as exc:
            done.append(Pruned(status, "failed", str(exc)))
            continue
        if result == "removed" and not status.recorded.removed:
            wt = status.recorded.worktree
            event = WorktreeDiscarded(branch=wt.branch, head=wt.base_commit, pruned=True)
            store.append_sync(wt.session_id, actor, event)
        if not (result == "gone" and status.recorded.removed):
            done.append(Pruned(status, result))
    return done


def _prune_one(status: WorktreeStatus) -> PruneResult:
    found, wt = status.recorded, status.recorded.worktree
    if not found.session_ended and not found.removed:
        return "running"
    if status.dirty:
        return "dirty"
    if status.commits > 0 and not found.removed:
        return "has commits"
    if not status.exists and status.commits < 0:
        return "gone"
    if not wt.repo.is_dir():
        return "gone"
    if status.exists:
        git(wt.repo, "worktree", "remove", "--force", str(wt.path))  # only generated files left
    else:
        run(wt.repo, "worktree", "prune")  # its directory was deleted by hand
    if status.commits >= 0:
        # -d for a merged branch (merged, or nothing on it); -D when its commits were discarded.
        git(wt.repo, "branch", "--quiet", "-D" if found.state == "discarded" else "-d", wt.branch)
    return "removed"
