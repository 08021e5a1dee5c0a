"""The orchestrator: many sessions at once in one asyncio loop, each its own task.

It owns the approvals broker and the gate shared by all sessions, starts sessions, pauses,
resumes and cancels them, and on shutdown cancels what still runs so that no agent process
outlives it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from agents.approvals.broker import ApprovalBroker, BrokerEvent
from agents.auth.gate import AuthGate
from agents.backends.stderr_log import LogLimits
from agents.background import Background
from agents.checkpoints.recorder import Checkpoints
from agents.orchestrator.progress import Progress
from agents.orchestrator.session import SessionRunner, SessionSpec
from agents.roles.roster import agent_id
from agents.sandbox.host import SandboxHost
from agents.secrets.keyring_store import SecretStore
from agents.team import Team
from agents.worktrees.create import Worktree
from sessions.errors import QuarterdeckError
from sessions.schema.agent import AgentControlled
from sessions.schema.session import SessionContext, SessionState
from sessions.store.event_store import EventStore


class Orchestrator:
    """Runs sessions of teams; the console (or the headless runner) drives it."""

    def __init__(
        self,
        store: EventStore,
        gate: AuthGate,
        broker: ApprovalBroker,
        *,
        log_dir: Path,
        log_limits: LogLimits | None = None,
        secrets: Callable[[], SecretStore] | None = None,
        checkpoints: Checkpoints | None = None,
        sandbox: SandboxHost | None = None,
    ) -> None:
        self.store = store
        self.checkpoints = checkpoints
        self.sandbox = sandbox
        self.secrets = secrets
        self.gate = gate
        self.broker = broker
        self.log_dir = log_dir
        self.log_limits = log_limits if log_limits is not None else LogLimits()
        self.runners: dict[str, SessionRunner] = {}
        self.tasks: dict[str, asyncio.Task[SessionState]] = {}
        self.background = Background("orchestrator")
        """State moves started by approval changes (a broker listener cannot await them)."""
        broker.subscribe(self._approval_changed)

    def start(
        self,
        task: str,
        team: Team,
        workspace: Path,
        *,
        title: str | None = None,
        constraints: list[str] | None = None,
        success_criteria: list[str] | None = None,
        feedback: list[str] | None = None,
        worktree: Worktree | None = None,
    ) -> str:
        """Start a session in the background; returns its id. ``feedback``: changes a review
        of an earlier session asked for (a follow-up). With ``worktree`` (made for it by
        :func:`~agents.worktrees.create.create_worktree`) it has that worktree's session id
        and works in its workspace."""
        session_id = worktree.session_id if worktree is not None else str(uuid.uuid4())
        if worktree is not None:
            workspace = worktree.workspace
        context = SessionContext(
            task=task,
            constraints=constraints or [],
            success_criteria=success_criteria or [],
            feedback=feedback or [],
        )
        spec = SessionSpec(
            session_id=session_id,
            title=title or task[:80],
            context=context,
            team=team,
            workspace=workspace.resolve(),
            worktree=worktree,
        )
        runner = SessionRunner(
            spec=spec,
            store=self.store,
            gate=self.gate,
            broker=self.broker,
            log_dir=self.log_dir,
            log_limits=self.log_limits,
            secrets=self.secrets,
            checkpoints=self.checkpoints,
            sandbox=self.sandbox,
        )
        self._launch(runner)
        return session_id

    def recover(self, progress: Progress, team: Team, workspace: Path) -> str:
        """Continue, in the background, a session whose process died; returns its id.

        The runner records the interruption and the calls whose outcome is unknown, then goes
        on from ``progress`` with the same team and workspace. ``wait`` raises
        :class:`~sessions.store.leases.LeaseHeldError` if another live process runs it.
        """
        if progress.context is None:
            raise QuarterdeckError(f"session {progress.session_id[:8]} has no task to resume")
        session_id = progress.session_id
        spec = SessionSpec(
            session_id=session_id,
            title=progress.title,
            context=progress.context,
            team=team,
            workspace=workspace,
            worktree=Worktree.of(session_id, progress.worktree) if progress.worktree else None,
        )
        runner = SessionRunner(
            spec=spec,
            store=self.store,
            gate=self.gate,
            broker=self.broker,
            log_dir=self.log_dir,
            log_limits=self.log_limits,
            start=progress,
            secrets=self.secrets,
            checkpoints=self.checkpoints,
            sandbox=self.sandbox,
        )
        self._launch(runner)
        return session_id

    def _launch(self, runner: SessionRunner) -> None:
        session_id = runner.session_id
        self.runners[session_id] = runner
        self.tasks[session_id] = asyncio.create_task(runner.run(), name=f"session-{session_id}")

    async def wait(self, session_id: str) -> SessionState:
        """Wait for a session to end; returns its final state."""
        try:
            return await self.tasks[session_id]
        except asyncio.CancelledError:
            return SessionState.CANCELLED

    def ending(self, session_id: str) -> str:
        """One line on how a session that ran here ended: its outcome, why, and where its
        agents' logs are (nothing more: the log holds the rest)."""
        runner = self.runners[session_id]
        line = f"{runner.state}"
        if runner.state is not SessionState.SUCCEEDED and runner.summary:
            line += f" — {runner.summary}"
            logs = sorted(self.log_dir.glob(f"{session_id}.*.stderr.log"))
            if logs and "Agent log:" not in runner.summary:
                line += f" (agent logs: {', '.join(str(p) for p in logs)})"
        return line

    async def pause(self, session_id: str) -> None:
        """Pause between steps: the current turn finishes, the next waits."""
        runner = self.runners[session_id]
        runner.resumed.clear()
        await runner.move(SessionState.PAUSED, "paused by the user")

    async def resume(self, session_id: str) -> None:
        """Resume a paused session."""
        runner = self.runners[session_id]
        await runner.move(SessionState.RUNNING, "resumed by the user")
        runner.resumed.set()

    async def pause_agent(self, session_id: str, role: str, *, by: str | None = None) -> None:
        """Hold one agent: its current turn finishes, its next turn waits for resume_agent."""
        runner = self.runners[session_id]
        runner.role_gates.setdefault(role, asyncio.Event()).clear()
        await self._controlled(session_id, role, "pause", by=by)

    async def resume_agent(self, session_id: str, role: str, *, by: str | None = None) -> None:
        """Let a held agent take its next turn."""
        runner = self.runners[session_id]
        runner.role_gates.setdefault(role, asyncio.Event()).set()
        await self._controlled(session_id, role, "resume", by=by)

    async def cancel_agent(self, session_id: str, role: str, *, by: str | None = None) -> None:
        """End one agent's current turn (ACP session/cancel, then a grace, then its process is
        stopped); the workflow goes on from there."""
        runner = self.runners[session_id]
        await self._controlled(session_id, role, "cancel", by=by)
        agent = runner.agents.get(role)
        if agent is not None:
            await agent.cancel()

    async def post_message(
        self, session_id: str, text: str, *, role: str | None = None, by: str
    ) -> str:
        """Send a person's message to one agent of a session running here (the agent in a
        turn when ``role`` is None); returns, in words, when the agent hears it."""
        return await self.runners[session_id].post_message(text, role=role, by=by)

    async def _controlled(
        self,
        session_id: str,
        role: str,
        action: Literal["pause", "resume", "cancel"],
        *,
        by: str | None,
    ) -> None:
        await self.store.append_durable(
            session_id,
            f"human:{by}" if by else "orchestrator",
            AgentControlled(agent_id=agent_id(role), action=action, by=by),
        )

    async def cancel(self, session_id: str, reason: str = "cancelled") -> None:
        """Cancel a session and wait for its end: the running turn's agent hears session/cancel
        first, then every agent is stopped and its approvals are resolved as cancelled. A
        session already finishing ends as it was ending."""
        runner, task = self.runners.get(session_id), self.tasks.get(session_id)
        asked = runner is not None and (runner.cancel(reason) or runner.ending)
        if not asked and task is not None:
            task.cancel()  # not started yet: it never will, and records nothing
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)

    def running(self) -> list[str]:
        """Sessions still running here: started, and not yet finished (a finished session
        still releasing its lease is not running: its end is in the log)."""
        return [
            session_id
            for session_id, task in self.tasks.items()
            if not task.done() and not self.runners[session_id].finished
        ]

    async def shutdown(self) -> None:
        """Cancel every session (quitting) and wait for each to end: no agent process
        survives; then the state moves still in flight."""
        reason = "cancelled: the console or run that drove it stopped"
        await asyncio.gather(*(self.cancel(sid, reason) for sid in list(self.tasks)))
        await self.background.close()

    def _approval_changed(self, event: BrokerEvent) -> None:
        approval = event.approval  # asked or resolved: either may change who is waiting
        runner = self.runners.get(approval.session_id)
        if runner is None or runner.state not in (
            SessionState.RUNNING,
            SessionState.AWAITING_APPROVAL,
        ):
            return
        waiting = any(p.session_id == approval.session_id for p in self.broker.pending())
        target = SessionState.AWAITING_APPROVAL if waiting else SessionState.RUNNING
        if target is not runner.state:
            self.background.spawn(runner.move(target), name=f"move-{approval.session_id}")
