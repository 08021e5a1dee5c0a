"""A session's workspace put under watch: registered for checkpoints and drift, then snapshotted.

With checkpoints on, the runner registers the workspace (what the team excludes stays out of
every snapshot), gets the drift check its agents' turns go through, and — for a new session,
not a resumed one — takes a first snapshot: the baseline that tells rollback which files the
session did not create. A baseline that fails is reported as an event; the session goes on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.checkpoints.recorder import Checkpoints
from agents.orchestrator.drift_check import TurnDrift
from sessions.store.event_store import EventStore

if TYPE_CHECKING:
    from agents.orchestrator.session import SessionSpec


async def watch_workspace(
    checkpoints: Checkpoints | None, store: EventStore, spec: SessionSpec, *, resuming: bool
) -> TurnDrift | None:
    """Register ``spec``'s workspace and snapshot it unless ``resuming``; returns its drift
    check (None without checkpoints: nothing is watched)."""
    if checkpoints is None:
        return None
    settings = spec.team.checkpoints
    checkpoints.watch(
        spec.session_id,
        spec.workspace,
        exclude=settings.excluded(),
        enabled=settings.enabled,
    )
    drift = TurnDrift(store, spec.session_id, checkpoints.drift(spec.session_id))
    if resuming:
        return drift
    try:
        await checkpoints.take(spec.session_id, label="session start")
    except Exception as exc:  # reported as an event; the session goes on without it
        await checkpoints.failed(spec.session_id, "at session start", exc)
    return drift
