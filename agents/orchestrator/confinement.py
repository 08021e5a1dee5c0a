"""How one session's agents, their commands and the validator's checks are confined.

The checks run the project's code, so they get the same sandbox as an agent (the validator
role's settings); a team that demands bubblewrap and cannot have it stops, and one that runs
unconfined for want of it says so once, as an escalation.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from agents.sandbox.host import UNCONFINED, Confinement, SandboxError, SandboxHost
from agents.team import RoleName, Team
from sessions.schema.flow import EscalationRaised
from sessions.store.event_store import EventStore


class SessionSandbox:
    """The confinements of one session; without a host nothing is confined (tests, re-drives)."""

    def __init__(self, host: SandboxHost | None, team: Team, workspace: Path) -> None:
        self.host = host
        self.team = team
        self.workspace = workspace
        self._checks_warned = False

    async def ready(self) -> None:
        """Probe bubblewrap (once per process) before the first confinement."""
        if self.host is not None:
            await self.host.ready()

    def confine(self, role: RoleName, argv: Sequence[str] = ()) -> Confinement:
        """How ``role``'s agent (``argv``: its command line), or with () the checks, is confined."""
        if self.host is None:
            return UNCONFINED
        return self.host.confine(
            self.team.sandbox_for(role),
            workspace=self.workspace,
            env=self.team.roles[role].expanded_env(),
            argv=argv,
        )

    async def checks(self, store: EventStore, session_id: str) -> Confinement:
        """The validator's confinement: raises ``SandboxError`` when demanded and missing."""
        await self.ready()
        confinement = self.confine("validator")
        if confinement.error is not None:
            raise SandboxError(f"the validator's checks cannot run: {confinement.error}")
        if confinement.warning is not None and not self._checks_warned:
            self._checks_warned = True
            reason = f"the validator's checks {confinement.warning}"
            escalation = EscalationRaised(reason=reason, severity="warning")
            await store.append_durable(session_id, "orchestrator", escalation)
        return confinement
