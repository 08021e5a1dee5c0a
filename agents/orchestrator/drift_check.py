"""Drift after every agent turn: recorded as ``workspace.drift`` and a critical escalation.

The watching itself is :class:`~agents.checkpoints.drift.DriftWatch`'s; this records what it
finds. A snapshot that fails is reported as a warning (the turn goes on unchecked), never a
silent pass.
"""

from __future__ import annotations

import logging

from agents.checkpoints.drift import Drifted, DriftWatch
from sessions.schema.flow import DriftedFile, EscalationRaised, WorkspaceDrift
from sessions.store.event_store import EventStore

log = logging.getLogger(__name__)

LISTED = 200
"""Files a ``workspace.drift`` event lists (``total`` says how many there were)."""


class TurnDrift:
    """Checks each agent turn of one session; does nothing without a watch (checkpoints off)."""

    def __init__(self, store: EventStore, session_id: str, watch: DriftWatch | None) -> None:
        self.store = store
        self.session_id = session_id
        self.watch = watch
        self._turns: dict[str, int] = {}
        self._open = False

    async def begin(self, agent_id: str) -> None:
        """A turn of ``agent_id`` starts: snapshot the workspace."""
        self._turns[agent_id] = self._turns.get(agent_id, 0) + 1
        self._open = False
        if self.watch is None:
            return
        try:
            await self.watch.begin()
            self._open = True
        except Exception as exc:  # reported, and this turn goes unchecked
            self.watch.cancel()
            await self._failed(agent_id, exc)

    async def end(self, agent_id: str) -> list[Drifted]:
        """The turn is over: record the changes nothing allowed explains, if any."""
        if self.watch is None or not self._open:
            return []
        self._open = False
        try:
            drifted = await self.watch.end()
        except Exception as exc:
            await self._failed(agent_id, exc)
            return []
        if drifted:
            await self._record(agent_id, drifted)
        return drifted

    async def _record(self, agent_id: str, drifted: list[Drifted]) -> None:
        turn = self._turns.get(agent_id, 1)
        files = [DriftedFile(status=d.status, path=d.path) for d in drifted[:LISTED]]
        event = WorkspaceDrift(agent_id=agent_id, turn=turn, files=files, total=len(drifted))
        await self.store.append_durable(self.session_id, "orchestrator", event)
        shown = ", ".join(f"{d.path} ({d.status})" for d in drifted[:10])
        more = f" and {len(drifted) - 10} more" if len(drifted) > 10 else ""
        reason = (
            f"workspace drift: {agent_id} changed {len(drifted)} file(s) in turn {turn} that no"
            f" allowed write or command explains: {shown}{more}"
        )
        escalation = EscalationRaised(reason=reason, severity="critical", agent_id=agent_id)
        await self.store.append_durable(self.session_id, "orchestrator", escalation)

    async def _failed(self, agent_id: str, exc: BaseException) -> None:
        log.warning("drift check of %s failed: %s", agent_id, exc)
        escalation = EscalationRaised(
            reason=f"drift check of {agent_id} failed ({exc}); this turn is not checked",
            severity="warning",
            agent_id=agent_id,
        )
        await self.store.append_durable(self.session_id, "orchestrator", escalation)
