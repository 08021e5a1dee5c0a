"""A session's own git worktree: created at its start, then merged, kept or discarded.

A session started "in a new git worktree" works on a branch ``quarterdeck/<short id>`` of the
workspace's repository, in a checkout of its own; ``worktree.created`` follows its
``session.created``. At its end a person merges the branch into the branch it started from,
keeps it, or discards it; each is one event, and so is a refusal (the worktree left as it was).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sessions.schema.base import Payload

WorktreeChoice = Literal["merge", "keep", "discard"]
"""What a person may do with a session's worktree at its end."""


class WorktreeCreated(Payload):
    """The session works in a new worktree of ``repo`` on ``branch``, made from ``base_commit``
    of ``base_branch``."""

    KIND = "worktree.created"

    repo: str
    """The checkout the session was started in (its top level): where a merge happens."""
    path: str
    """The new worktree's top level."""
    workspace: str
    """The session's workspace: the worktree, or the same subdirectory of it the start was in."""
    branch: str
    base_branch: str
    base_commit: str


class WorktreeKept(Payload):
    """The worktree's changes were committed on its branch; nothing was removed."""

    KIND = "worktree.kept"

    branch: str
    commit: str | None = None
    """The commit made; None when there was nothing to commit."""
    others: list[str] = Field(default_factory=list)
    """Changed files the session's log does not account for, committed with the rest."""


class WorktreeMerged(Payload):
    """The branch was merged into the branch the session started from; the worktree and the
    branch were removed."""

    KIND = "worktree.merged"

    branch: str
    into: str
    commit: str | None = None
    """The commit of the worktree's changes; None when there was nothing to commit."""
    head: str
    """The starting branch's tip after the merge."""
    fast_forward: bool = False
    removed: bool = True
    others: list[str] = Field(default_factory=list)
    """Changed files the session's log does not account for, committed with the rest."""


class WorktreeDiscarded(Payload):
    """The worktree was removed and its branch deleted."""

    KIND = "worktree.discarded"

    branch: str
    head: str
    """The branch's tip when it was deleted (``git branch BRANCH HEAD`` brings it back until
    git collects it)."""
    dropped: list[str] = Field(default_factory=list)
    """Uncommitted changes thrown away with it (the session's, or all of them when forced)."""
    forced: bool = False
    pruned: bool = False
    """Removed by ``quarterdeck worktrees prune`` (nothing was in it)."""


class WorktreeRefused(Payload):
    """A merge, keep or discard was refused; everything was left as it was."""

    KIND = "worktree.refused"

    choice: WorktreeChoice
    reason: str
