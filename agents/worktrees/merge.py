"""Merging a session's branch into the branch it started from, in the checkout it started in.

Everything is checked before anything moves: the checkout must have the starting branch
checked out, nothing staged, and no uncommitted change to a file the merge changes; the merge
itself is tried first with ``git merge-tree`` (git 2.38 or later), which writes nothing a
checkout sees. Only then is the merge made — a fast-forward when the starting branch has not
moved, else a merge commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agents.worktrees.git import (
    WorktreeError,
    git,
    identity,
    last_line,
    nul_paths,
    run,
    status_paths,
)


class MergeRefused(WorktreeError):
    """The merge would not be clean, or would touch uncommitted work; nothing was changed."""


@dataclass(frozen=True, slots=True)
class Merged:
    """A merge made: the starting branch's new tip, and whether it only moved forward."""

    head: str
    fast_forward: bool


def _by_hand(branch: str, into: str, repo: Path) -> str:
    return f"merge by hand in {repo}: `git switch {into} && git merge {branch}`"


def check(repo: Path, *, branch: str, into: str, tip: str) -> None:
    """Refuse (:class:`MergeRefused`) unless ``tip`` merges cleanly into ``into``, checked out
    in ``repo`` with no uncommitted work in the way. Changes nothing."""
    if not repo.is_dir():
        raise MergeRefused(f"the checkout {repo} the session started in is gone")
    head = run(repo, "symbolic-ref", "--quiet", "HEAD")
    current = head.out.strip().removeprefix("refs/heads/") if head.ok else "a detached HEAD"
    if current != into:
        raise MergeRefused(
            f"{repo} has {current} checked out, not {into}: switch back to {into} and merge"
            f" again, or {_by_hand(branch, into, repo)}"
        )
    if not run(repo, "diff", "--cached", "--quiet").ok:
        raise MergeRefused(f"{repo} has staged changes: commit or unstage them, then merge again")
    tried = run(repo, "merge-tree", "--write-tree", "--name-only", "--no-messages", into, tip)
    if tried.code == 1:
        lines = tried.out.splitlines()
        conflicted = ", ".join(lines[1:6]) + (" …" if len(lines) > 6 else "")
        raise MergeRefused(
            f"merging {branch} into {into} conflicts in {conflicted or 'some files'}: nothing"
            f" was changed; keep the branch and {_by_hand(branch, into, repo)}"
        )
    if not tried.ok:
        raise WorktreeError(
            f"git merge-tree failed ({last_line(tried)}): merging needs git 2.38 or later;"
            f" {_by_hand(branch, into, repo)}"
        )
    merged_tree = tried.out.splitlines()[0].strip()
    touched = set(nul_paths(git(repo, "diff", "--name-only", "-z", into, merged_tree)))
    in_the_way = sorted(touched.intersection(status_paths(repo)))
    if in_the_way:
        shown = ", ".join(in_the_way[:5]) + (" …" if len(in_the_way) > 5 else "")
        raise MergeRefused(
            f"uncommitted changes in {repo} touch files the merge changes ({shown}): commit"
            " or stash them, then merge again"
        )


def merge(repo: Path, *, branch: str, into: str, message: str) -> Merged:
    """Merge ``branch`` into ``into`` in ``repo`` (checked first with :func:`check`). A merge
    git still refuses is aborted, leaving the checkout as it was."""
    before = git(repo, "rev-parse", "HEAD").strip()
    tip = git(repo, "rev-parse", f"refs/heads/{branch}").strip()
    done = run(repo, "merge", "--no-edit", "-m", message, branch, env=identity(repo))
    if not done.ok:
        if run(repo, "rev-parse", "--verify", "--quiet", "MERGE_HEAD").ok:
            run(repo, "merge", "--abort")
        raise MergeRefused(
            f"git merge {branch} into {into} failed ({last_line(done)}); the checkout is as"
            f" it was, the branch is kept: {_by_hand(branch, into, repo)}"
        )
    head = git(repo, "rev-parse", "HEAD").strip()
    return Merged(head=head, fast_forward=head == tip and before != tip)
