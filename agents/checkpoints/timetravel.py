"""Rollback of a recorded session end to end, and what fork shares with it: the core the CLI
(and the console) call.

A rollback reads the session's log, works in the shadow repository of the workspace under its
lock, and records what it did through the store: a safety ``checkpoint``, then a ``rollback``.
Checkpoints a fork copied are translated into the fork's own ``seq`` numbering.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from agents.checkpoints.recorder import session_ref
from agents.checkpoints.rollback import (
    CheckpointInfo,
    RollbackError,
    RollbackPlan,
    apply_rollback,
    checkpoints_of,
    choose_target,
    created_by_session,
    plan_rollback,
    safety_commit,
)
from agents.checkpoints.shadow import CheckpointError, ShadowRepo, recorded_exclude
from sessions.schema.flow import CheckpointTaken, RolledBack
from sessions.store.event_store import EventStore
from sessions.store.reading import load_session
from sessions.store.record import Record
from sessions.store.redaction import Redactor


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """Which checkpoint to go to: exactly one of these is set (``undo``: the last rollback's
    safety checkpoint)."""

    to_seq: int | None = None
    last_good: bool = False
    checkpoint: str | None = None
    undo: bool = False


@dataclass(frozen=True, slots=True)
class RollbackDone:
    """What a rollback did; ``safety_id`` is None for a dry run."""

    plan: RollbackPlan
    safety_id: str | None


def workspace_of(records: Sequence[Record]) -> Path:
    """The workspace recorded by the session's ``session.created``."""
    created = next((r.payload for r in records if r.kind == "session.created"), None)
    if created is None or not created.get("workspace"):
        raise RollbackError("the session records no workspace")
    return Path(created["workspace"])


def workspace_roots(store: EventStore, records: Sequence[Record]) -> list[Path]:
    """The session's workspace and those of the sessions it was forked from: copied events
    name paths in the origin's workspace."""
    roots: list[Path] = []
    seen: set[str] = set()
    current = list(records)
    while current:
        roots.append(workspace_of(current))
        origin = next(r.payload.get("origin") for r in current if r.kind == "session.created")
        if not origin or origin["session_id"] in seen:
            break
        seen.add(origin["session_id"])
        current = load_session(store.engine, origin["session_id"])
    return roots


async def roll_back(
    store: EventStore,
    root: Path,
    session_id: str,
    *,
    target: Target,
    dry_run: bool = False,
    confirm: Callable[[RollbackPlan], bool] = lambda _plan: True,
    actor: str = "orchestrator",
) -> RollbackDone:
    """Plan the rollback and, unless ``dry_run`` or ``confirm`` says no, carry it out.

    Order: the safety checkpoint is committed and recorded first; then files are restored;
    then the ``rollback`` event. Raises :class:`RollbackError` (nothing changed) when the target
    is unknown or the safety checkpoint fails.
    """
    await asyncio.to_thread(store.flush)
    records = await asyncio.to_thread(load_session, store.engine, session_id)
    known = await asyncio.to_thread(session_checkpoints, store, records)
    chosen = choose_target(
        records,
        known,
        to_seq=target.to_seq,
        last_good=target.last_good,
        checkpoint=target.checkpoint,
        undo=target.undo,
    )
    workspace = workspace_of(records)
    if not workspace.is_dir():
        raise RollbackError(f"the workspace {workspace} no longer exists")
    roots = workspace_roots(store, records)
    redactor = store.redactor  # the runtime's knows the keyring's values; else the shapes
    scan = redactor.find_credential if isinstance(redactor, Redactor) else None
    repo = ShadowRepo(root, workspace, exclude=recorded_exclude(root, workspace), scan=scan)
    with repo.locked():
        created = await asyncio.to_thread(created_by_session, repo, records, roots)
        now_tree = await asyncio.to_thread(repo.snapshot_tree)
        plan = await asyncio.to_thread(
            plan_rollback, repo, now_tree, chosen, created=created, withheld=set(repo.withheld)
        )
        if dry_run or not confirm(plan):
            return RollbackDone(plan, None)
        safety = await asyncio.to_thread(safety_commit, repo, session_id, now_tree, target=chosen)
        label = f"safety before rollback to seq {chosen.at_seq}"
        await store.append_durable(
            session_id,
            actor,
            CheckpointTaken(checkpoint_id=safety, at_seq=records[-1].seq, label=label),
        )
        try:
            await asyncio.to_thread(apply_rollback, repo, plan)
        except (CheckpointError, OSError) as exc:
            raise RollbackError(
                f"restoring failed part-way ({exc}); the state before is safety checkpoint"
                f" {safety[:12]}: roll back to it with --to-checkpoint {safety[:12]}"
            ) from exc
        await store.append_durable(
            session_id,
            actor,
            RolledBack(
                to_seq=chosen.at_seq,
                checkpoint_id=chosen.checkpoint_id,
                safety_checkpoint_id=safety,
                files_restored=plan.files_restored,
            ),
        )
    return RollbackDone(plan, safety)


def session_checkpoints(store: EventStore, records: Sequence[Record]) -> list[CheckpointInfo]:
    """The session's checkpoints, with the ``at_seq`` of those a fork copied translated from
    its origin's numbering into this log's (so ``--to SEQ`` means a seq ``show`` prints)."""
    translate = _translator(store, records)
    index = {r.seq: i for i, r in enumerate(records)}
    return [replace(c, at_seq=translate(index[c.seq], c.at_seq)) for c in checkpoints_of(records)]


def _translator(store: EventStore, records: Sequence[Record]) -> Callable[[int, int], int]:
    """``(position of a record, seq it names) -> seq in this log``, through the fork chain."""
    origin = (
        records[0].payload.get("origin")
        if records and records[0].kind == "session.created"
        else None
    )
    if not origin:
        return lambda _at, seq: seq
    source = load_session(store.engine, origin["session_id"], upto_seq=int(origin["seq"]))
    inner = _translator(store, source)
    # Copies keep their order: the origin's record i (after its session.created) is ours i.
    old = [r.seq for r in source[1:]]
    new = [r.seq for r in records[1 : 1 + len(old)]]

    def translate(at: int, seq: int) -> int:
        if not 1 <= at <= len(new):
            return seq  # written by this session itself
        mapped = inner(at, seq)
        position = bisect.bisect_right(old, mapped) - 1
        return new[position] if position >= 0 else records[0].seq

    return translate


def nearest_checkpoint(records: Sequence[Record], at_seq: int) -> CheckpointInfo:
    """The last checkpoint taken at or before ``at_seq`` (what a fork at that point starts from)."""
    before = [c for c in checkpoints_of(records) if c.seq <= at_seq]
    if not before:
        raise RollbackError(f"the session has no checkpoint at or before seq {at_seq}")
    return before[-1]


def materialise(
    root: Path, source_workspace: Path, checkpoint: CheckpointInfo, *, dest: Path, new_session: str
) -> int:
    """Write ``checkpoint`` into the empty ``dest`` and start the new session's shadow with it.

    The new workspace's shadow borrows the source's objects (so every copied checkpoint stays
    restorable there) and its session ref starts at the checkpoint. Returns the file count.
    """
    source = ShadowRepo(root, source_workspace, exclude=recorded_exclude(root, source_workspace))
    if not source.has(checkpoint.checkpoint_id):
        raise RollbackError(
            f"checkpoint {checkpoint.checkpoint_id[:12]} is not in {source.git_dir}"
        )
    if dest.exists() and any(dest.iterdir()):
        raise RollbackError(f"{dest} exists and is not empty")
    count = source.materialise(checkpoint.checkpoint_id, dest)
    target = ShadowRepo(root, dest, exclude=source.exclude)
    target.borrow_objects(source)
    target.set_ref(session_ref(new_session), checkpoint.checkpoint_id)
    return count
