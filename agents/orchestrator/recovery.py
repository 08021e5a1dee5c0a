"""What a runner does around a crash: hold the session's lease, and close what a dead run left.

A crashed run leaves its session "running", tool intents without results and approval requests
nobody waits for. Before a session continues (or is cancelled), :func:`record_recovery` writes
that down: the session was interrupted, each dangling call's outcome is unknown (it is never run
again automatically: it may have happened), and each orphaned request is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from agents.orchestrator.progress import Progress
from sessions.schema.policy import ApprovalResolved
from sessions.schema.session import SessionState, SessionStateChanged
from sessions.schema.tools import ToolResult
from sessions.store import leases
from sessions.store.event_store import EventStore

log = logging.getLogger(__name__)

S = SessionState
LIVE_STATES = frozenset({S.RUNNING, S.AWAITING_APPROVAL, S.PAUSED})
"""States that, found in the log of a session nobody runs, mean its process died."""

DIED = "the process running it died"


async def record_recovery(store: EventStore, progress: Progress) -> SessionState:
    """Record what the crash left undone; returns the session's state afterwards.

    Idempotent: run again (after a crash during recovery) it records only what is still open.
    """
    session_id, state = progress.session_id, progress.state
    if state in LIVE_STATES:
        change = SessionStateChanged(from_state=state, to_state=S.INTERRUPTED, reason=DIED)
        await store.append_durable(session_id, "orchestrator", change)
        state = S.INTERRUPTED
    for intent in progress.dangling:
        result = ToolResult(
            call_id=intent.call_id,
            idempotency_key=intent.idempotency_key,
            status="outcome_unknown",
            output=f"{DIED} between the intent and its result; not run again ({intent.summary})",
        )
        await store.append_durable(session_id, "orchestrator", result)
    for approval_id in progress.open_approvals:
        answer = ApprovalResolved(
            approval_id=approval_id,
            outcome="cancelled",
            decided_by="orchestrator",
            reason="the process that asked died",
        )
        await store.append_durable(session_id, "orchestrator", answer)
    return state


def interrupted_note(progress: Progress) -> str:
    """What the first agent prompted after a resume is told about the crash."""
    lines = [
        "Note: a previous run of this session was interrupted (its process died) at this step.",
        "Some of its changes may already be in the workspace: check before repeating anything.",
    ]
    if progress.dangling:
        lines.append("These calls may or may not have happened (they will not be re-run):")
        lines += [f"- {d.summary}" for d in progress.dangling]
    return "\n".join(lines)


class LeaseKeeper:
    """Holds a session's lease for a runner: acquires it, renews it, watches for cancel."""

    def __init__(
        self,
        store: EventStore,
        session_id: str,
        *,
        ttl_s: float = leases.DEFAULT_TTL_S,
        poll_s: float = 0.5,
    ) -> None:
        self.store = store
        self.engine = store.engine
        self.session_id = session_id
        self.ttl_s = ttl_s
        self.poll_s = poll_s
        self.owner = leases.owner_id()
        self.token = 0
        self._task: asyncio.Task[None] | None = None

    async def acquire(self) -> None:
        """Take the lease; :class:`~sessions.store.leases.LeaseHeldError` if a live process has it."""
        self.token = await asyncio.to_thread(
            leases.acquire, self.engine, self.session_id, self.owner, ttl_s=self.ttl_s
        )
        self.store.fence(self.session_id, self.token)  # every later append checks the token

    def watch(self, stop: Callable[[str], object]) -> None:
        """Renew in the background; call ``stop(reason)`` on a cancel request or a lost lease."""
        self._task = asyncio.create_task(self._loop(stop), name=f"lease-{self.session_id}")

    async def _loop(self, stop: Callable[[str], object]) -> None:
        renewed = time.monotonic()
        lease: leases.Lease | None
        while True:
            # Polled more often than renewed so that `quarterdeck cancel` takes effect quickly.
            await asyncio.sleep(self.poll_s)
            try:
                if time.monotonic() - renewed >= self.ttl_s / 3:
                    lease = await asyncio.to_thread(
                        leases.renew,
                        self.engine,
                        self.session_id,
                        self.owner,
                        token=self.token,
                        ttl_s=self.ttl_s,
                    )
                    renewed = time.monotonic()
                else:
                    lease = await asyncio.to_thread(leases.holder, self.engine, self.session_id)
            except leases.LeaseLostError as exc:
                stop(str(exc))
                return
            except Exception:  # a busy database must not kill the run: try again next poll
                log.warning("lease poll for %s failed", self.session_id, exc_info=True)
                continue
            if lease is not None and lease.cancel_requested and lease.token == self.token:
                stop("cancelled by `quarterdeck cancel`")
                return

    async def close(self) -> None:
        """Stop renewing and release the lease."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.token:
            await asyncio.to_thread(self.store.flush)  # our last events, still under the lease
            self.store.unfence(self.session_id)
            await asyncio.to_thread(
                leases.release, self.engine, self.session_id, self.owner, token=self.token
            )
