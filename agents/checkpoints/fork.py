"""Fork: a new session that begins as a copy of another's log up to a point, in its own workspace.

The new log starts with a ``session.created`` naming its origin (session and ``seq``), followed
by copies of the origin's events up to that ``seq`` (actors, timestamps and payloads kept), all
committed in one transaction. The workspace is the origin's nearest checkpoint at or before the
point, written into a new directory. ``quarterdeck resume`` then continues the fork like a
session whose process died: open calls become ``outcome_unknown`` and the workflow goes on.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path

from agents.checkpoints.rollback import RollbackError
from agents.checkpoints.timetravel import materialise, nearest_checkpoint, workspace_of
from sessions.schema.session import ForkOrigin, SessionCreated
from sessions.store.event_store import EventStore
from sessions.store.reading import load_session


@dataclass(frozen=True, slots=True, kw_only=True)
class Forked:
    """The new session, its workspace, how many events were copied and the checkpoint used."""

    session_id: str
    workspace: Path
    events: int
    files: int
    checkpoint_id: str


def default_fork_dir(source: Path, session_id: str) -> Path:
    """Next to the origin's workspace: ``<name>-fork-<first 8 of the new id>``."""
    return source.parent / f"{source.name}-fork-{session_id[:8]}"


async def fork_session(
    store: EventStore, root: Path, session_id: str, *, at_seq: int, workspace: Path | None = None
) -> Forked:
    """Fork ``session_id`` at ``at_seq`` (a ``seq`` of its log) into a new session."""
    await asyncio.to_thread(store.flush)
    records = await asyncio.to_thread(load_session, store.engine, session_id, upto_seq=at_seq)
    if not records or records[0].kind != "session.created":
        raise RollbackError(f"session {session_id[:8]} has no events at or before seq {at_seq}")
    checkpoint = nearest_checkpoint(records, at_seq)
    new_id = str(uuid.uuid4())
    source = workspace_of(records)
    dest = (workspace or default_fork_dir(source, new_id)).resolve()
    files = await asyncio.to_thread(
        materialise, root, source, checkpoint, dest=dest, new_session=new_id
    )
    created = records[0].payload
    header = SessionCreated.model_validate(
        {**created, "workspace": str(dest), "origin": ForkOrigin(session_id=session_id, seq=at_seq)}
    )
    items = [store.pending_data(new_id, "orchestrator", header.KIND, data=header.to_json_obj())]
    items += [
        store.pending_data(new_id, r.actor, r.kind, data=r.payload, ts=r.ts) for r in records[1:]
    ]
    await asyncio.wrap_future(store.append_group(items))
    return Forked(
        session_id=new_id,
        workspace=dest,
        events=len(items),
        files=files,
        checkpoint_id=checkpoint.checkpoint_id,
    )
