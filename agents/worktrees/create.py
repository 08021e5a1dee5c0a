"""Making a session's worktree: a new branch ``quarterdeck/<short id>`` from the HEAD of the
branch the workspace has checked out, checked out in a directory of its own.

The worktrees of a repository live beside it, in ``<parent>/.quarterdeck-worktrees/<name>/``
(docs/decisions.md, "A worktree per session"): on the same disk as the repository, outside it
(its tools and its ``git status`` never see them) and outside Quarterdeck's own directories,
which the sandbox hides from agents.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from agents.worktrees.git import WorktreeError, git, run
from sessions.schema.worktree import WorktreeCreated

BRANCH_PREFIX = "quarterdeck/"
"""Every session branch starts with this."""

WORKTREES_DIR = ".quarterdeck-worktrees"
"""The directory beside a repository that holds its sessions' worktrees."""

ROOT_VARIABLE = "QUARTERDECK_WORKTREES"
"""When set, worktrees are made under this directory (``<it>/<repo name>/<short id>``)."""


def short_id(session_id: str) -> str:
    """The part of a session id that names its branch and directory."""
    return session_id[:8]


@dataclass(frozen=True, slots=True, kw_only=True)
class Worktree:
    """A session's worktree as it was made: where, on which branch, from which commit."""

    session_id: str
    repo: Path
    """The checkout the session was started in (its top level): where a merge happens."""
    path: Path
    """The worktree's top level."""
    workspace: Path
    """The session's workspace: ``path``, or the same subdirectory the start was in."""
    branch: str
    base_branch: str
    base_commit: str

    def created(self) -> WorktreeCreated:
        """The ``worktree.created`` event recording it."""
        return WorktreeCreated(
            repo=str(self.repo),
            path=str(self.path),
            workspace=str(self.workspace),
            branch=self.branch,
            base_branch=self.base_branch,
            base_commit=self.base_commit,
        )

    @classmethod
    def of(cls, session_id: str, event: WorktreeCreated) -> Worktree:
        """The worktree a ``worktree.created`` event of ``session_id`` records."""
        return cls(
            session_id=session_id,
            repo=Path(event.repo),
            path=Path(event.path),
            workspace=Path(event.workspace),
            branch=event.branch,
            base_branch=event.base_branch,
            base_commit=event.base_commit,
        )


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a workspace stands in its repository: the checkout's top level, the branch it
    has checked out and that branch's commit, and the workspace's place in the checkout."""

    toplevel: Path
    branch: str
    commit: str
    relative: Path


_AGAIN = "or start the session without a worktree"


def origin(workspace: Path) -> Origin:
    """The repository, branch and commit a worktree of ``workspace`` starts from;
    :class:`WorktreeError` saying what to do when there is none to start from."""
    place = workspace.expanduser().resolve()
    if not place.is_dir():
        raise WorktreeError(f"no such directory: {place}")
    inside = run(place, "rev-parse", "--is-inside-work-tree")
    if not inside.ok or inside.out.strip() != "true":
        raise WorktreeError(
            f"{place} is not in a git repository: run `git init` and commit, {_AGAIN}"
        )
    top = Path(git(place, "rev-parse", "--show-toplevel").strip()).resolve()
    head = run(place, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if not head.ok:
        raise WorktreeError(
            f"the repository at {top} has no commits yet: commit once (`git commit`), {_AGAIN}"
        )
    ref = run(place, "symbolic-ref", "--quiet", "HEAD")
    if not ref.ok:
        raise WorktreeError(
            f"HEAD of {top} is detached at {head.out.strip()[:12]}: check out a branch"
            f" (`git switch -c NAME`) so the session's work has a branch to merge into, {_AGAIN}"
        )
    branch = ref.out.strip().removeprefix("refs/heads/")
    return Origin(top, branch, head.out.strip(), place.relative_to(top))


def default_root(repo: Path) -> Path:
    """The directory that holds ``repo``'s session worktrees."""
    configured = os.environ.get(ROOT_VARIABLE)
    if configured:
        return Path(configured).expanduser().resolve() / repo.name
    return repo.parent / WORKTREES_DIR / repo.name


def create_worktree(
    workspace: Path, *, session_id: str | None = None, root: Path | None = None
) -> Worktree:
    """Make a worktree for a new session (``session_id``, else a new id) of the repository
    ``workspace`` is in (``root``: the directory to make it in, else :func:`default_root`).
    Blocking."""
    session_id = session_id or str(uuid.uuid4())
    start = origin(workspace)
    short = short_id(session_id)
    branch = BRANCH_PREFIX + short
    path = (root if root is not None else default_root(start.toplevel)) / short
    if os.path.lexists(path):
        raise WorktreeError(f"{path} already exists: remove it, or start the session again")
    if run(start.toplevel, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}").ok:
        raise WorktreeError(f"the branch {branch} already exists in {start.toplevel}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorktreeError(f"cannot make {path.parent}: {exc.strerror}") from exc
    # From the commit, not the branch name: the new branch does not track the starting one.
    git(start.toplevel, "worktree", "add", "--quiet", "-b", branch, str(path), start.commit)
    top = path.resolve()
    if not (top / start.relative).is_dir():  # the workspace is a directory git does not track
        run(start.toplevel, "worktree", "remove", "--force", str(top))
        run(start.toplevel, "branch", "-D", branch)
        raise WorktreeError(
            f"{start.toplevel / start.relative} is not in the last commit, so a worktree would"
            f" not have it: commit it, or start at {start.toplevel}"
        )
    return Worktree(
        session_id=session_id,
        repo=start.toplevel,
        path=top,
        workspace=top / start.relative,
        branch=branch,
        base_branch=start.branch,
        base_commit=start.commit,
    )
