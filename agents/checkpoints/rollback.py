"""Rollback: restore a session's workspace to one of its checkpoints, safely and undoably.

What changes is planned from two snapshots, the workspace now and the target checkpoint: files
that differ are written back byte for byte, files missing are recreated, and a file present now
but absent from the target is deleted **only if this session created it**. The rule
(docs/decisions.md, "Rollback deletes only what the session created"): the path is absent from
the session's first checkpoint (its baseline) and either a write of this session's own tool calls
named it (an allowed ``edit`` request, a ``write`` intent) or an earlier rollback of this session
recreated it. Anything else — a file the user made, a by-product of a shell command — is kept
and listed. Before any file is touched, the current state is committed as a safety checkpoint,
so every rollback can itself be rolled back.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agents.checkpoints.recorder import session_ref
from agents.checkpoints.shadow import CheckpointError, ShadowRepo
from sessions.errors import QuarterdeckError
from sessions.store.record import Record

_WRITES = frozenset({"edit", "delete", "move"})


class RollbackError(QuarterdeckError):
    """A rollback target that does not exist or cannot be used."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckpointInfo:
    """A ``checkpoint`` event of a session's log."""

    seq: int
    checkpoint_id: str
    at_seq: int
    known_good: bool
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RollbackPlan:
    """What a rollback to ``target`` does, path by path (relative to the workspace)."""

    target: CheckpointInfo
    modified: list[str] = field(default_factory=list)
    recreated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    secret: list[str] = field(default_factory=list)
    """Kept too: they hold a secret, so no checkpoint (not even the safety one) has them."""

    @property
    def files_restored(self) -> int:
        """Files written back or deleted."""
        return len(self.modified) + len(self.recreated) + len(self.deleted)

    def lines(self) -> list[str]:
        """The plan for a user, one path a line: ``M``/``A``/``D`` as git prints, ``K`` kept."""
        marks = (("M", self.modified), ("A", self.recreated), ("D", self.deleted))
        out = [f"{mark} {path}" for mark, paths in marks for path in paths]
        out += [f"K {path}  (kept: not created by this session)" for path in self.kept]
        out += [
            f"K {path}  (kept: it holds a secret, so no checkpoint has it)" for path in self.secret
        ]
        return out


def checkpoints_of(records: Iterable[Record]) -> list[CheckpointInfo]:
    """Every checkpoint of a session's log, in order."""
    found = []
    for r in records:
        if r.kind == "checkpoint":
            p = r.payload
            found.append(
                CheckpointInfo(
                    seq=r.seq,
                    checkpoint_id=p["checkpoint_id"],
                    at_seq=int(p["at_seq"]),
                    known_good=bool(p.get("known_good")),
                    label=str(p.get("label", "")),
                )
            )
    return found


def choose_target(
    records: Sequence[Record],
    known: Sequence[CheckpointInfo],
    *,
    to_seq: int | None = None,
    last_good: bool = False,
    checkpoint: str | None = None,
    undo: bool = False,
) -> CheckpointInfo:
    """The checkpoint a rollback goes to: the last one at or before ``to_seq``, the last
    known-good one, the one whose id starts with ``checkpoint``, or (``undo``) the safety
    checkpoint of the session's last rollback. ``known`` are the session's checkpoints."""
    if not known:
        raise RollbackError("the session has no checkpoints to roll back to")
    if undo:
        rollbacks = [r.payload for r in records if r.kind == "rollback"]
        if not rollbacks:
            raise RollbackError("the session has no rollback to undo")
        checkpoint = str(rollbacks[-1]["safety_checkpoint_id"])
    if checkpoint is not None:
        matches = {c.checkpoint_id: c for c in known if c.checkpoint_id.startswith(checkpoint)}
        if len(matches) != 1:
            problem = "matches no" if not matches else "is ambiguous among the"
            raise RollbackError(f"checkpoint {checkpoint!r} {problem} checkpoints of the session")
        return next(c for c in reversed(known) if c.checkpoint_id in matches)
    if last_good:
        good = [c for c in known if c.known_good]
        if not good:
            raise RollbackError("the session has no known-good checkpoint (no validator pass)")
        return good[-1]
    assert to_seq is not None
    before = [c for c in known if c.at_seq <= to_seq]
    if not before:
        raise RollbackError(
            f"no checkpoint at or before seq {to_seq} (the first is at seq {known[0].at_seq})"
        )
    return before[-1]


def _relative(path: str, roots: Sequence[Path]) -> str | None:
    candidate = Path(path)
    for root in roots:
        if candidate.is_relative_to(root):
            return candidate.relative_to(root).as_posix()
    return None


def written_paths(records: Iterable[Record], roots: Sequence[Path]) -> set[str]:
    """Workspace-relative paths this session's own allowed tool calls wrote."""
    allowed: set[str] = set()
    requested: dict[str, list[str]] = {}
    written: set[str] = set()
    for r in records:
        p = r.payload if r.kind in ("policy.decided", "tool.requested", "tool.intent") else None
        if p is None:
            continue
        if r.kind == "policy.decided":  # the last decision on a call is the one that held
            if p.get("decision") == "allow":
                allowed.add(p["call_id"])
            else:
                allowed.discard(p["call_id"])
        elif r.kind == "tool.requested" and p.get("tool") in _WRITES and not p.get("announced"):
            requested.setdefault(p["call_id"], []).extend(p.get("paths") or [])
        elif r.kind == "tool.intent" and p.get("action") == "write" and p.get("path"):
            written.add(p["path"])
    for call_id, paths in requested.items():
        if call_id in allowed:
            written.update(paths)
    return {rel for path in written if (rel := _relative(path, roots)) is not None}


def created_by_session(
    repo: ShadowRepo, records: Sequence[Record], roots: Sequence[Path]
) -> set[str]:
    """Paths the session created (module docstring): deletable by a rollback."""
    known = checkpoints_of(records)
    baseline = (
        repo.paths(known[0].checkpoint_id) if known and repo.has(known[0].checkpoint_id) else set()
    )
    created = written_paths(records, roots) - baseline
    for r in records:
        if r.kind == "rollback":
            p = r.payload
            if repo.has(p["checkpoint_id"]) and repo.has(p["safety_checkpoint_id"]):
                created |= repo.paths(p["checkpoint_id"]) - repo.paths(p["safety_checkpoint_id"])
    return created


def plan_rollback(
    repo: ShadowRepo,
    now_tree: str,
    target: CheckpointInfo,
    *,
    created: set[str],
    withheld: Collection[str] = (),
) -> RollbackPlan:
    """Compare the workspace's current tree with the target's (lock held).

    ``withheld`` are files the current snapshot left out because they hold a secret: the
    safety checkpoint cannot bring them back, so they are kept as they are."""
    if not repo.has(target.checkpoint_id):
        raise RollbackError(
            f"checkpoint {target.checkpoint_id[:12]} is not in the shadow repository"
            f" {repo.git_dir} (taken elsewhere, or before checkpoints were kept in git)"
        )
    plan = RollbackPlan(target=target)
    for change in repo.diff(now_tree, target.checkpoint_id):
        if change.path in withheld:
            plan.secret.append(change.path)
        elif change.status == "A":
            plan.recreated.append(change.path)
        elif change.status == "D":
            (plan.deleted if change.path in created else plan.kept).append(change.path)
        else:
            plan.modified.append(change.path)
    return plan


def apply_rollback(repo: ShadowRepo, plan: RollbackPlan) -> None:
    """Write the target's files back and delete the session's own newer files (lock held)."""
    root = repo.workspace
    for path in plan.deleted:
        target = root / path
        if target.is_symlink() or target.is_file():
            target.unlink()
        _prune_empty(target.parent, root)
    repo.write_files(plan.target.checkpoint_id, [*plan.modified, *plan.recreated])


def _prune_empty(directory: Path, root: Path) -> None:
    # Directories the deleted files leave empty go too (git keeps no empty directories).
    while directory != root and directory.is_relative_to(root):
        try:
            os.rmdir(directory)
        except OSError:
            return
        directory = directory.parent


def safety_commit(
    repo: ShadowRepo, session_id: str, now_tree: str, *, target: CheckpointInfo
) -> str:
    """Commit the current state on the session's ref, before anything is restored."""
    try:
        parent = repo.ref(session_ref(session_id))
        message = (
            f"safety before rollback to {target.checkpoint_id[:12]}\n\nSession: {session_id}\n"
        )
        commit = repo.commit(now_tree, message, parent=parent)
        repo.set_ref(session_ref(session_id), commit)
    except CheckpointError as exc:
        raise RollbackError(
            f"could not take the safety checkpoint, nothing was changed: {exc}"
        ) from exc
    return commit
