"""Committing a worktree's changes on its branch, built aside first so a refusal changes nothing.

The commit is written from a private index (the worktree's own index and files untouched) and
becomes the branch's tip only when the caller says so: a merge first checks that the commit
merges cleanly, and until then nothing in the repository has moved.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from agents.worktrees.git import git, identity


@dataclass(frozen=True, slots=True)
class Prepared:
    """A commit of a worktree's changes, not yet on its branch."""

    top: Path
    parent: str
    commit: str


def first_line(task: str) -> str:
    """The task's first line (what a subject line can hold of it)."""
    return " ".join(task.strip().splitlines()[:1]) or "the session's changes"


def message_for(session_id: str, task: str, others: list[str]) -> str:
    """The commit message: the task's first line, then the session and the whole task."""
    first = first_line(task)
    subject = f"quarterdeck {session_id[:8]}: {first}"
    if len(subject) > 72:
        subject = subject[:71] + "…"
    lines = [subject, "", f"Session: {session_id}", "", "Task:", task.strip()]
    if others:
        lines += ["", "Also changed in the worktree, not by the session's recorded actions:"]
        lines += [f"  {path}" for path in others]
    return "\n".join(lines) + "\n"


def prepare(top: Path, paths: list[str], message: str) -> Prepared | None:
    """A commit of ``paths`` (as they are in the worktree ``top``) on its HEAD, written aside;
    None when it would change nothing. Blocking."""
    if not paths:
        return None
    env = identity(top)
    parent = git(top, "rev-parse", "--verify", "HEAD^{commit}").strip()
    with tempfile.TemporaryDirectory(prefix="qd-worktree-") as scratch:
        private = {**env, "GIT_INDEX_FILE": str(Path(scratch) / "index")}
        git(top, "read-tree", parent, env=private)
        listed = "".join(f":(literal){p}\0" for p in paths)
        git(
            top,
            "add",
            "--all",
            "--pathspec-from-file=-",
            "--pathspec-file-nul",
            env=private,
            stdin=listed,
        )
        tree = git(top, "write-tree", env=private).strip()
    if tree == git(top, "rev-parse", f"{parent}^{{tree}}").strip():
        return None
    commit = git(top, "commit-tree", tree, "-p", parent, "-F", "-", env=env, stdin=message)
    return Prepared(top, parent, commit.strip())


def apply(prepared: Prepared, branch: str) -> None:
    """Make the prepared commit the tip of ``branch`` (checked out in its worktree), whose
    index then matches it; the files stay as they are (they are what was committed)."""
    ref = f"refs/heads/{branch}"
    git(
        prepared.top,
        "update-ref",
        "-m",
        "quarterdeck: commit",
        ref,
        prepared.commit,
        prepared.parent,
    )
    git(prepared.top, "reset", "--quiet")
