"""What a session changed: its workspace now against its first or its last known-good checkpoint.

The workspace is snapshotted into its shadow repository (as a rollback's plan does: under the
shadow's lock, secrets left out) and git diffs that tree against the chosen checkpoint
(:mod:`agents.review.diff`). Nothing in the workspace or the log changes. Blocking (git and
the database): call it on a thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agents.checkpoints.rollback import checkpoints_of
from agents.checkpoints.scan import Scanner
from agents.checkpoints.shadow import CheckpointError, ShadowRepo, excluded, recorded_exclude
from agents.checkpoints.timetravel import workspace_of
from agents.review.diff import FileDiff, parse_diff
from sessions.errors import QuarterdeckError
from sessions.store.record import Record

BaseKind = Literal["first", "known_good"]
"""What the workspace is compared with: the session's first checkpoint (its start), or its
last known-good one (the last validator pass)."""


class ReviewError(QuarterdeckError):
    """The changes cannot be shown (no such checkpoint, no workspace); says why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewBase:
    """The checkpoint the workspace is compared with."""

    kind: BaseKind
    checkpoint_id: str
    at_seq: int
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionChanges:
    """A session's changes, file by file, against ``base``."""

    session_id: str
    workspace: str
    base: ReviewBase
    files: tuple[FileDiff, ...]

    @property
    def added(self) -> int:
        """Lines added over all files."""
        return sum(f.added for f in self.files)

    @property
    def removed(self) -> int:
        """Lines removed over all files."""
        return sum(f.removed for f in self.files)


def choose_base(records: Sequence[Record], kind: BaseKind) -> ReviewBase:
    """The session's first checkpoint, or its last known-good one; ``ReviewError`` if none."""
    known = checkpoints_of(records)
    if not known:
        raise ReviewError(
            "the session has no checkpoints (its team turns them off, or it never started)"
        )
    if kind == "first":
        chosen = known[0]
    else:
        good = [c for c in known if c.known_good]
        if not good:
            raise ReviewError("the session has no known-good checkpoint yet (no validator pass)")
        chosen = good[-1]
    return ReviewBase(
        kind=kind, checkpoint_id=chosen.checkpoint_id, at_seq=chosen.at_seq, label=chosen.label
    )


def session_changes(
    root: Path,
    session_id: str,
    records: Sequence[Record],
    *,
    kind: BaseKind,
    scan: Scanner | None = None,
) -> SessionChanges:
    """The workspace of the session whose log is ``records`` against its ``kind`` checkpoint,
    in the shadow repositories under ``root``; ``scan`` finds secrets (such files are listed as
    withheld, never read into the shadow)."""
    base = choose_base(records, kind)
    try:
        workspace = workspace_of(records)
    except QuarterdeckError as exc:
        raise ReviewError(str(exc)) from exc
    if not workspace.is_dir():
        raise ReviewError(f"the workspace {workspace} no longer exists")
    repo = ShadowRepo(root, workspace, exclude=recorded_exclude(root, workspace), scan=scan)
    if not repo.has(base.checkpoint_id):
        raise ReviewError(
            f"checkpoint {base.checkpoint_id[:12]} is not in the shadow repository {repo.git_dir}"
        )
    try:
        with repo.locked():
            now = repo.snapshot_tree()
            withheld = sorted(repo.withheld)
            out = repo.git("diff-tree", "-r", "-M", "--raw", "-p", "-z", base.checkpoint_id, now)
    except CheckpointError as exc:
        raise ReviewError(f"cannot compare the workspace with its checkpoint: {exc}") from exc
    secret = set(withheld)
    files = [
        f for f in parse_diff(out) if f.path not in secret and not excluded(f.path, repo.exclude)
    ]
    files += [FileDiff(path=p, status="withheld") for p in withheld]
    return SessionChanges(
        session_id=session_id,
        workspace=str(workspace),
        base=base,
        files=tuple(sorted(files, key=lambda f: f.path)),
    )
