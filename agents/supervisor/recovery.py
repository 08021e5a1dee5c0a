"""Time travel for the supervisor: interrupted sessions, resuming them, and rolling one back.

The console calls these through :class:`~agents.supervisor.actions.Supervisor`. A session is *interrupted* when its
log says it has not ended but no live process holds its lease (the console or ``run`` that drove
it died). Resuming continues it in this process from where its log stops, never re-running a
call whose outcome is unknown. A rollback goes back to the last known-good checkpoint after the
user saw the plan: if the files changed in between, it refuses rather than restore something
other than what was shown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path

from agents.checkpoints.rollback import RollbackPlan
from agents.checkpoints.timetravel import RollbackDone, Target, roll_back
from agents.orchestrator.core import Orchestrator
from agents.orchestrator.progress import Progress, fold_progress
from agents.orchestrator.recovery import LeaseKeeper
from agents.team import Team
from sessions.errors import QuarterdeckError
from sessions.schema.base import SYSTEM_SESSION
from sessions.schema.session import SessionState
from sessions.store import leases
from sessions.store.event_store import EventStore
from sessions.store.reading import load_session

TeamResolver = Callable[[Progress], Team | None]
"""The team a resumed session runs with (the one it recorded), or None when it is unknown."""

UNFINISHED = frozenset({SessionState.RUNNING, SessionState.AWAITING_APPROVAL, SessionState.PAUSED})
"""States in which a session needs a live process."""


class RecoveryError(QuarterdeckError):
    """A resume or a rollback the supervisor refuses, with the reason."""


def interrupted(
    store: EventStore, candidates: Iterable[tuple[str, SessionState]], running_here: set[str]
) -> set[str]:
    """Of ``(session, state)`` pairs, the unfinished sessions no live process holds.

    Reads the lease table (one small query per candidate): call it off the event loop.
    """
    found: set[str] = set()
    for session_id, state in candidates:
        if state not in UNFINISHED or session_id in running_here or session_id == SYSTEM_SESSION:
            continue
        lease = leases.holder(store.engine, session_id)
        if lease is None or not lease.live():
            found.add(session_id)
    return found


async def resume_interrupted(
    store: EventStore, orchestrator: Orchestrator, session_id: str, *, resolve_team: TeamResolver
) -> str:
    """Continue an interrupted session in this process; returns what happened, in words."""
    records = await asyncio.to_thread(load_session, store.engine, session_id)
    progress = fold_progress(session_id, records)
    short = session_id[:8]
    if progress.finished:
        raise RecoveryError(f"session {short} already ended ({progress.state})")
    if progress.context is None:
        raise RecoveryError(f"session {short} was not started by `run`: it has no task to resume")
    lease = await asyncio.to_thread(leases.holder, store.engine, session_id)
    if lease is not None and lease.live():
        raise RecoveryError(f"{leases.LeaseHeldError(lease)}")
    workspace = Path(progress.workspace or "")
    if not progress.workspace or not workspace.is_dir():
        raise RecoveryError(f"session {short}: its workspace {workspace} no longer exists")
    team = resolve_team(progress)
    if team is None:
        raise RecoveryError(
            f"session {short} ran team {progress.team!r}, which is not the configured, default"
            f" or demo team: resume it with `quarterdeck resume {short} --team FILE`"
        )
    orchestrator.recover(progress, team, workspace)
    return f"resuming session {short} from where its log stops"


async def _check_rollback_allowed(store: EventStore, session_id: str, here: bool) -> bool:
    """Whether this process must hold the lease meanwhile (nobody runs the session)."""
    lease = await asyncio.to_thread(leases.holder, store.engine, session_id)
    records = await asyncio.to_thread(load_session, store.engine, session_id)
    progress = fold_progress(session_id, records)
    live = lease is not None and lease.live()
    if progress.finished and live:
        raise RecoveryError(f"session {session_id[:8]} is still closing: try again in a moment")
    if (here or live) and not progress.finished and progress.state is not SessionState.PAUSED:
        raise RecoveryError(
            f"session {session_id[:8]} is running: pause it first (p), then roll back"
        )
    return not live


async def rollback_plan(
    store: EventStore, root: Path, session_id: str, *, here: bool
) -> RollbackPlan:
    """What going back to the last known-good checkpoint would change (nothing is changed)."""
    await _check_rollback_allowed(store, session_id, here)
    done = await roll_back(store, root, session_id, target=Target(last_good=True), dry_run=True)
    return done.plan


async def roll_back_to_shown(
    store: EventStore, root: Path, session_id: str, *, shown: RollbackPlan, here: bool, user: str
) -> RollbackDone:
    """Carry out the rollback ``shown`` to the user; ``RecoveryError`` (nothing changed) when
    the plan is no longer the same."""
    free = await _check_rollback_allowed(store, session_id, here)
    keeper = LeaseKeeper(store, session_id) if free else None

    def same(plan: RollbackPlan) -> bool:
        return plan.target == shown.target and plan.lines() == shown.lines()

    try:
        if keeper is not None:  # nobody runs it: hold it, so no resume starts under our feet
            await keeper.acquire()
        done = await roll_back(
            store,
            root,
            session_id,
            target=Target(last_good=True),
            confirm=same,
            actor=f"human:{user}",
        )
    finally:
        if keeper is not None:
            await keeper.close()
    if done.safety_id is None:
        raise RecoveryError(
            "the files or the checkpoints changed since the plan was shown: look at it again"
        )
    return done
