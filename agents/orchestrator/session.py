"""One session: the team's workflow run step by step, every step an event.

The order of the steps is :class:`~agents.orchestrator.workflow.Workflow`'s; this runner plays
each turn, check and review, holds the session's lease while it runs, and — resuming a session
whose process died — first records what the crash left open. Agents never write state: only
this runner (and the gate and backends it drives) append events.
A cancel reaches the running turn's agent first (:mod:`agents.backends.turn`); once the session
has begun to finish it changes nothing (:mod:`agents.orchestrator.ending`): one final state. A
turn whose agent died is tried again when that is safe (:mod:`agents.orchestrator.turn_retry`);
the workspace is baselined and watched for drift (:mod:`agents.orchestrator.workspace_watch`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from agents.approvals.broker import ApprovalBroker
from agents.auth.gate import AuthGate
from agents.backends.env import scrubbed_env
from agents.backends.spec import AgentDiedError, TurnAgent
from agents.backends.stderr_log import LogLimits
from agents.checkpoints.recorder import Checkpoints
from agents.orchestrator.agent_launch import agent_spec
from agents.orchestrator.budget import Budget, BudgetStoppedError, budget_for
from agents.orchestrator.confinement import SessionSandbox
from agents.orchestrator.drift_check import TurnDrift
from agents.orchestrator.ending import complete
from agents.orchestrator.progress import Progress
from agents.orchestrator.recovery import LeaseKeeper, interrupted_note, record_recovery
from agents.orchestrator.talk import Talk, follow_up, joined
from agents.orchestrator.transitions import check_transition
from agents.orchestrator.turn_retry import TurnDiedCleanly, journaled_since, retried
from agents.orchestrator.turns import TurnOutput, prompt_for, turn_output, unfinished
from agents.orchestrator.workflow import Workflow
from agents.orchestrator.workspace_watch import watch_workspace
from agents.roles.handoffs import ReviewVerdict, handoff_event
from agents.roles.reviewer import human_verdict, verdict_from_reply
from agents.roles.roster import agent_id as agent_id_of
from agents.roles.validator import CheckOutcome, Validator
from agents.sandbox.host import SandboxHost
from agents.secrets.keyring_store import SecretStore
from agents.team import Backend, RoleConfig, Team
from agents.worktrees.changes import take_end_checkpoint
from agents.worktrees.create import Worktree
from sessions.errors import QuarterdeckError
from sessions.schema.base import Payload
from sessions.schema.session import (
    TERMINAL_STATES,
    SessionContext,
    SessionCreated,
    SessionFinished,
    SessionState,
    SessionStateChanged,
)
from sessions.store.event_store import EventStore
from sessions.store.memory import PurgeReason, SessionMemory
from sessions.store.reading import log_bounds

log = logging.getLogger(__name__)


class TurnTimedOutError(QuarterdeckError):
    """A turn ran past the team's ``turn_timeout_s``; it was cancelled."""


@dataclass(kw_only=True)
class SessionSpec:
    """What to run: a task for a team in a workspace."""

    session_id: str
    title: str
    context: SessionContext
    team: Team
    workspace: Path
    worktree: Worktree | None = None
    """The session's own git worktree (``workspace`` is in it); None: it works in place."""


@dataclass(kw_only=True)
class SessionRunner:
    """Runs one session to its end; the orchestrator owns many of these."""

    spec: SessionSpec
    store: EventStore
    gate: AuthGate
    broker: ApprovalBroker
    log_dir: Path
    log_limits: LogLimits = field(default_factory=LogLimits)
    """How much of each agent's stderr is kept on disk."""
    state: SessionState = SessionState.CREATED
    agents: dict[str, TurnAgent] = field(default_factory=dict)
    resumed: asyncio.Event = field(default_factory=asyncio.Event)
    role_gates: dict[str, asyncio.Event] = field(default_factory=dict)
    on_state: Callable[[str, SessionState], None] | None = None
    start: Progress | None = None
    """Where a crashed run stopped: set when resuming, None for a new session."""
    secrets: Callable[[], SecretStore] | None = None
    """Opens the secret store, only when a role names secrets (the keyring may be absent)."""
    lease_ttl_s: float = 30.0
    checkpoints: Checkpoints | None = None
    """Snapshots before risky calls and at validator passes; None: no checkpoints."""
    sandbox: SandboxHost | None = None
    """Confines agents, their commands and the checks; None: nothing is confined."""
    turn_role: str | None = None
    """The role whose turn is running now; None between turns."""
    stop_reasons: dict[str, str] = field(default_factory=dict)
    """Each role's last turn: its ACP stop reason, and what the log says it said and did."""
    outputs: dict[str, TurnOutput] = field(default_factory=dict)
    summary: str = ""  # why the session ended as it did, once it has
    _note: str = ""
    _cancel_reason: str = "cancelled"
    _task: asyncio.Task[object] | None = None
    _ending: bool = False
    _finished: bool = False
    _drift: TurnDrift | None = None
    _sandbox: SessionSandbox = field(init=False)
    talk: Talk = field(init=False)
    """People's messages to its agents (:mod:`agents.orchestrator.talk`)."""
    budget: Budget = field(init=False)
    """What its agents cost, and the pause past ``[workflow] budget``."""

    def __post_init__(self) -> None:
        self.resumed.set()
        self.talk = Talk(self._emit, self.spec.team)
        self._sandbox = SessionSandbox(self.sandbox, self.spec.team, self.spec.workspace)
        self.budget = budget_for(self)
        if self.start is not None:
            self._note = interrupted_note(self.start)

    @property
    def session_id(self) -> str:
        """The session's id."""
        return self.spec.session_id

    async def _emit(self, payload: Payload, actor: str = "orchestrator") -> int:
        return (await self.store.append_durable(self.session_id, actor, payload)).seq

    @property
    def ending(self) -> bool:
        """The session has begun to finish (its outcome is decided): a cancel changes nothing."""
        return self._ending

    @property
    def finished(self) -> bool:
        """``session.finished`` is written and every agent stopped; only the lease is left."""
        return self._finished

    def cancel(self, reason: str = "cancelled") -> bool:
        """Cancel the run, the agents' way first; False when already ending or not running."""
        task = self._task
        if self._ending or task is None or task.done():
            return False
        self._cancel_reason = reason
        task.cancel()
        return True

    async def move(self, target: SessionState, reason: str = "") -> None:
        """Change state, refusing illegal transitions, and record it."""
        if target == self.state or (self._ending and target not in TERMINAL_STATES):
            return  # a late pause or approval change must not reopen a finishing session
        check_transition(self.state, target)
        previous, self.state = self.state, target
        await self._emit(SessionStateChanged(from_state=previous, to_state=target, reason=reason))
        if self.on_state is not None:
            self.on_state(self.session_id, target)

    async def post_message(self, text: str, *, role: str | None, by: str) -> str:
        """Hold a person's message for an agent (recorded now); returns, in words, when the
        agent hears it: after its turn, or with its next prompt."""
        if self._ending or self._task is None or self._task.done():
            raise QuarterdeckError(f"session {self.session_id[:8]} is not running")
        paused = not self.resumed.is_set()
        return await self.talk.post(text, role=role, by=by, turn_role=self.turn_role, paused=paused)

    async def run(self) -> SessionState:
        """Run the workflow; returns the terminal state. Agents are stopped whatever happens.

        Raises :class:`~sessions.store.leases.LeaseHeldError` (recording nothing) when another live
        process runs the session.
        """
        self._task = asyncio.current_task()
        lease = LeaseKeeper(self.store, self.session_id, ttl_s=self.lease_ttl_s)
        await lease.acquire()
        try:
            return await self._drive(lease)
        finally:
            await complete(lease.close())

    async def _begin(self) -> None:
        spec = self.spec
        if self.start is not None:
            self.state = await record_recovery(self.store, self.start)
            return
        await self._emit(
            SessionCreated(
                title=spec.title,
                workspace=str(spec.workspace),
                team=spec.team.name,
                context=spec.context,
            )
        )
        if spec.worktree is not None:
            await self._emit(spec.worktree.created())

    async def _drive(self, lease: LeaseKeeper) -> SessionState:
        try:
            await self._begin()
            resuming = self.start is not None
            self._drift = await watch_workspace(
                self.checkpoints, self.store, self.spec, resuming=resuming
            )
            lease.watch(self.cancel)  # `quarterdeck cancel` from another process, a lost lease
            reason = "resumed after the process running it died" if self.start else ""
            await self.move(SessionState.RUNNING, reason)
            outcome, summary = await Workflow(self, self.start).run()
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()  # taken: the cancel becomes the session's outcome
            outcome, summary = SessionState.CANCELLED, self._cancel_reason
        except BudgetStoppedError as exc:  # a person would not let it spend more
            outcome, summary = SessionState.CANCELLED, str(exc)
        except QuarterdeckError as exc:  # a failure a user can act on: its message says how
            log.info("session %s failed: %s", self.session_id, exc)
            outcome, summary = SessionState.FAILED, str(exc)
        except Exception as exc:  # every failure is an event a user can see
            log.exception("session %s failed", self.session_id)
            outcome, summary = SessionState.FAILED, f"{type(exc).__name__}: {exc}"
        self._ending = True
        await complete(self._finish(outcome, summary))
        return self.state

    async def _finish(self, outcome: SessionState, summary: str) -> None:
        self.summary = summary
        await self._stop_agents()
        await self.broker.cancel_session(self.session_id, reason=f"session {outcome}")
        await self.talk.drop_all(f"the session ended {outcome} before the agent's next prompt")
        if self.state is not outcome:
            await self.move(outcome, summary)
        if self.checkpoints is not None:
            if self.spec.worktree is not None:  # what it left, for a discard to compare with
                await take_end_checkpoint(self.checkpoints, self.session_id)
            self.checkpoints.forget(self.session_id)
        reason: PurgeReason = "cancelled" if outcome is SessionState.CANCELLED else "completed"
        await SessionMemory(self.store, self.session_id).close(reason)
        await self._emit(SessionFinished(outcome=outcome, summary=summary))
        self._finished = True

    async def _stop_agents(self) -> None:
        agents, self.agents = list(self.agents.values()), {}
        await asyncio.gather(*(agent.stop() for agent in agents), return_exceptions=True)

    async def _checkpoint_pause(self, role: str | None = None) -> None:
        """Between steps: wait while the session, or this role's agent, is paused."""
        await self.resumed.wait()
        if role is not None and (gate := self.role_gates.get(role)) is not None:
            await gate.wait()

    async def handoff(
        self, from_role: str, to_role: str, model: BaseModel, *, attempt: int = 1, reason: str = ""
    ) -> None:
        """Record a handoff between roles."""
        await self._emit(handoff_event(from_role, to_role, model, reason=reason, attempt=attempt))

    async def _agent(self, role: str) -> TurnAgent:
        agent = self.agents.get(role)
        if agent is None:
            await self._sandbox.ready()
            agent = self.new_agent(role)
            self.agents[role] = agent
            await agent.start()
        return agent

    def new_agent(self, role: str) -> TurnAgent:
        """A new, not yet started agent for ``role``: its ACP process (a re-drive plays
        recorded frames instead, see :mod:`agents.redrive`)."""
        config = self.spec.team.roles[role]  # type: ignore[index]
        spec = agent_spec(role, config, secrets=self._secret_store(config))
        from agents.backends.acp import AcpAgent  # the ACP schema: when an agent first starts

        return AcpAgent(
            spec,
            session_id=self.session_id,
            agent_id=agent_id_of(role),
            role=role,
            workspace=self.spec.workspace,
            store=self.store,
            gate=self.gate,
            log_dir=self.log_dir,
            log_limits=self.log_limits,
            # Resuming, the agent reloads its own session (session/load) when it can.
            acp_session_id=self.start.acp_sessions.get(agent_id_of(role)) if self.start else None,
            cancel_grace_s=self.spec.team.workflow.cancel_grace_s,
            sandbox=self._sandbox.confine(role, (spec.command, *spec.args)),  # type: ignore[arg-type]
            actions=self._drift.watch if self._drift is not None else None,
            spending=self.budget,
        )

    def _secret_store(self, config: RoleConfig) -> SecretStore | None:
        return self.secrets() if config.secrets and self.secrets is not None else None

    async def turn(
        self, role: str, context: SessionContext, attempt: int, *, failures: list[str]
    ) -> tuple[str, list[str]]:
        """One prompt to a role's agent (retried on a clean death); returns its text and plan."""
        await self._checkpoint_pause(role)
        agent_id = agent_id_of(role)
        await self.budget.before_prompt(agent_id=agent_id, role=role)
        verbatim = self.spec.team.roles[role].prompt == "verbatim"  # type: ignore[index]
        text = prompt_for(role, context, attempt=attempt, failures=failures, verbatim=verbatim)
        if self._note and not verbatim:  # the first agent after a resume hears the last run died
            text, self._note = f"{self._note}\n\n{text}", ""
        text = joined(text, await self.talk.take(role, "next_prompt"))
        since = await asyncio.to_thread(self._head_seq)
        # A fresh agent plays it again if its agent dies, unless it had journaled a side effect.
        await retried(role, lambda: self._one_turn(role, agent_id, text), emit=self._emit)
        output = await turn_output(self.store, self.session_id, agent_id, after_seq=since)
        self.outputs[role] = output
        return output.text, output.plan

    def undone(self, role: str) -> str | None:
        """Why ``role``'s last turn did not do its work (cancelled, or every action refused)."""
        return unfinished(role, self.stop_reasons.get(role), self.outputs.get(role))

    async def _one_turn(self, role: str, agent_id: str, text: str) -> None:
        agent = await self._agent(role)
        since = await asyncio.to_thread(self._head_seq)
        timeout = self.spec.team.workflow.turn_timeout_s
        drift = self._drift
        if drift is not None:
            await drift.begin(agent_id)
        self.turn_role = self.talk.last_role = role
        try:
            # A timeout cancels the prompt, which asks the agent to end its turn first.
            self.stop_reasons[role] = await asyncio.wait_for(agent.prompt(text), timeout)
            # Messages sent while it worked: one more prompt to the same agent (no steering).
            while held := await self.talk.take(role, "after_turn"):
                prompt = agent.prompt(follow_up(held))
                self.stop_reasons[role] = await asyncio.wait_for(prompt, timeout)
        except TimeoutError:
            self.stop_reasons[role] = "cancelled"
            raise TurnTimedOutError(
                f"the {role}'s turn ran past {timeout:g}s (turn_timeout_s) and was cancelled"
            ) from None
        except AgentDiedError as exc:
            self.agents.pop(role, None)
            await agent.stop()
            if await journaled_since(self.store, self.session_id, agent_id=agent_id, since=since):
                raise
            raise TurnDiedCleanly(exc) from exc
        finally:
            self.turn_role = None
            if drift is not None:  # a turn that failed or was cancelled may have drifted too
                await drift.end(agent_id)

    def _head_seq(self) -> int:
        return log_bounds(self.store.engine).last

    async def validate(self, attempt: int) -> tuple[bool, list[CheckOutcome]]:
        """Run the validator's checks."""
        await self._checkpoint_pause()
        config = self.spec.team.roles["validator"]
        confinement = await self._sandbox.checks(self.store, self.session_id)
        validator = Validator(
            self.store,
            session_id=self.session_id,
            workspace=self.spec.workspace,
            checks=config.checks,
            env=scrubbed_env(config.expanded_env()),
            checkpoints=self.checkpoints,
            wrap=confinement.wrap if confinement.bwrap is not None else None,
        )
        return await validator.validate(attempt=attempt)

    async def review(self, context: SessionContext, attempt: int) -> ReviewVerdict:
        """The reviewer's verdict: a human's through the approvals queue, or an agent's words."""
        config = self.spec.team.roles["reviewer"]
        if config.backend is Backend.HUMAN:
            return await human_verdict(
                self.broker,
                session_id=self.session_id,
                workspace=self.spec.workspace,
                task=context.task,
                attempt=attempt,
            )
        text, _ = await self.turn("reviewer", context, attempt, failures=[])
        return verdict_from_reply(text)
