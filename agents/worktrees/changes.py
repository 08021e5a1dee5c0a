"""Whose are a worktree's uncommitted changes: the session's, generated files, or someone else's.

The worktree was clean when the session began, so every change in it since was made by the
session or by someone else. The session's last checkpoint, taken as it ended (``session
end``), holds its workspace as the session left it; a change that differs from it was made
after the session ended, and a file its log reports as drift was changed during the session
by no allowed action. Those, and anything the checkpoints cannot vouch for (outside the
session's workspace, left out of snapshots, withheld for holding a secret, or no end snapshot
at all), are *others'*: never thrown away without ``force``. Untracked files under a name the
checkpoints leave out (``__pycache__``, ``.venv``, an agent's state folder) are *generated*:
rebuilt at will, so neither committed nor protected.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sqlalchemy import Engine

from agents.checkpoints.recorder import Checkpoints
from agents.checkpoints.shadow import (
    AGENT_STATE,
    DEFAULT_EXCLUDE,
    CheckpointError,
    ShadowRepo,
    excluded,
    recorded_exclude,
    shadow_path,
)
from agents.worktrees.create import Worktree
from agents.worktrees.git import git, nul_paths
from sessions.store.reading import records_of_kinds

END_LABEL = "session end"
"""The label of the checkpoint a session in a worktree takes as it ends."""


@dataclass(frozen=True, slots=True)
class Other:
    """An uncommitted change the log does not account for, and why."""

    path: str
    why: str


@dataclass(frozen=True, slots=True)
class Changes:
    """A worktree's uncommitted changes, sorted by whose they are (paths from its top level)."""

    session: tuple[str, ...] = ()
    others: tuple[Other, ...] = ()
    generated: tuple[str, ...] = ()

    @property
    def to_commit(self) -> list[str]:
        """What a merge or a keep commits: the session's changes and the others'."""
        return sorted({*self.session, *(o.path for o in self.others)})

    def others_text(self, limit: int = 5) -> str:
        """The others' changes in one line: each path and why (at most ``limit``)."""
        shown = [f"{o.path} ({o.why})" for o in self.others[:limit]]
        if len(self.others) > limit:
            shown.append(f"{len(self.others) - limit} more")
        return ", ".join(shown)


@dataclass(frozen=True, slots=True)
class _Log:
    end: str | None
    """The ``session end`` checkpoint (a commit of the shadow repository), if any."""
    drifted: frozenset[str]


def _read_log(engine: Engine, session_id: str) -> _Log:
    end: str | None = None
    drifted: set[str] = set()
    for record in records_of_kinds(
        engine, ("checkpoint", "workspace.drift"), session_id=session_id
    ):
        payload = record.payload
        if record.kind == "checkpoint" and payload.get("label") == END_LABEL:
            end = str(payload["checkpoint_id"])
        elif record.kind == "workspace.drift":
            drifted.update(str(f["path"]) for f in payload.get("files", []))
    return _Log(end, frozenset(drifted))


def _untracked(top: Path) -> set[str]:
    out = git(top, "ls-files", "-z", "--others", "--exclude-standard")
    return set(nul_paths(out))


def _exclusions(worktree: Worktree, root: Path | None) -> tuple[tuple[str, ...], ShadowRepo | None]:
    """The names the session's checkpoints leave out, and its shadow repository (if any)."""
    workspace = worktree.workspace
    if root is None or not shadow_path(root, workspace).exists():
        return (*DEFAULT_EXCLUDE, *AGENT_STATE), None
    exclude = recorded_exclude(root, workspace)
    return exclude, ShadowRepo(root, workspace, exclude=exclude)


def _inside(worktree: Worktree, path: str) -> str | None:
    """``path`` (from the worktree's top) relative to the session's workspace; None outside."""
    inside = PurePosixPath(worktree.workspace.relative_to(worktree.path).as_posix())
    if inside == PurePosixPath("."):
        return path
    pure = PurePosixPath(path)
    return pure.relative_to(inside).as_posix() if pure.is_relative_to(inside) else None


def generated(worktree: Worktree, dirty: list[str], *, checkpoints_root: Path | None) -> set[str]:
    """Which of ``dirty`` are generated: untracked, under a name the checkpoints leave out.
    Blocking (it lists the worktree)."""
    exclude, _ = _exclusions(worktree, checkpoints_root)
    exclude = (*exclude, *AGENT_STATE)  # whatever the team said: an agent's state is its own
    untracked = _untracked(worktree.path) if dirty else set()
    return {
        path
        for path in dirty
        if path in untracked
        and (rel := _inside(worktree, path)) is not None
        and excluded(rel, exclude)
    }


def classify(
    worktree: Worktree, dirty: list[str], *, engine: Engine, checkpoints_root: Path | None
) -> Changes:
    """Sort ``dirty`` (the worktree's changed paths, from its top level). Blocking: it reads
    the log, lists the worktree and snapshots it into the session's shadow repository."""
    if not dirty:
        return Changes()
    log = _read_log(engine, worktree.session_id)
    exclude, shadow = _exclusions(worktree, checkpoints_root)
    after, withheld, vouched = _since_end(shadow, log.end)
    made = generated(worktree, dirty, checkpoints_root=checkpoints_root)
    session: list[str] = []
    others: list[Other] = []
    for path in dirty:
        rel = _inside(worktree, path)
        if path in made:
            continue
        if rel is None:
            others.append(Other(path, "outside the session's workspace"))
        elif excluded(rel, exclude):
            others.append(Other(path, "left out of checkpoints"))
        elif not vouched:
            others.append(Other(path, "no checkpoint of the session's end"))
        elif rel in withheld:
            others.append(Other(path, "holds a secret, so no checkpoint has it"))
        elif rel in after:
            others.append(Other(path, "changed after the session ended"))
        elif rel in log.drifted:
            others.append(Other(path, "changed during the session by no allowed action"))
        else:
            session.append(path)
    return Changes(tuple(session), tuple(others), tuple(sorted(made)))


def _since_end(shadow: ShadowRepo | None, end: str | None) -> tuple[set[str], set[str], bool]:
    """The paths changed since the ``session end`` snapshot, the ones a snapshot now withholds,
    and whether there was such a snapshot to compare with."""
    if shadow is None or end is None:
        return set(), set(), False
    try:
        if not shadow.has(end):
            return set(), set(), False
        with shadow.locked():
            now = shadow.snapshot_tree()
            withheld = set(shadow.withheld)
        return {c.path for c in shadow.diff(end, now)}, withheld, True
    except CheckpointError:
        return set(), set(), False  # unsure: nothing is vouched for


async def take_end_checkpoint(checkpoints: Checkpoints, session_id: str) -> None:
    """Snapshot a session's workspace as it ends (:data:`END_LABEL`): what a discard compares
    the worktree with. A snapshot that fails is an escalation; the session still ends."""
    try:
        await checkpoints.take(session_id, label=END_LABEL)
    except Exception as exc:  # reported as an event, never fatal
        await checkpoints.failed(session_id, "at the session's end", exc)
