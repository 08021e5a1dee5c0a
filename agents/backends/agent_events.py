"""What an ACP agent records about its own life: started, stopped, failed, died, retried.

:class:`~agents.backends.acp.AcpAgent` drives the process; this writes what became of it, so the
log, not the process, tells a user why an agent is not working: ``agent.started`` (with how it
is sandboxed), ``agent.stopped``, ``agent.failed`` with the tail of its stderr (and, when the
process exited on its own, the last line it wrote: usually the why), a login it needs as a
critical escalation, each retried start, and the refusal (or the one warning) when the sandbox
the team file asks for is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tenacity import RetryCallState

from agents.backends.handshake import Opened
from agents.backends.login import AuthOffer, login_reason
from agents.backends.spec import (
    AcpBackendError,
    AgentAuthRequiredError,
    AgentDiedError,
    AgentSpec,
)
from agents.sandbox.host import Confinement
from sessions.schema.agent import AgentFailed, AgentStarted, AgentStopped
from sessions.schema.flow import EscalationRaised, RetryScheduled
from sessions.store.event_store import EventStore


class AgentEvents:
    """The events one ACP agent writes about itself, as its actor in its session's log."""

    def __init__(
        self,
        store: EventStore,
        *,
        session_id: str,
        agent_id: str,
        role: str,
        stderr_tail: Callable[[], str],
    ) -> None:
        self._store = store
        self.session_id = session_id
        self.agent_id = agent_id
        self.role = role
        self._stderr_tail = stderr_tail
        self._warned = False

    async def check_sandbox(self, sandbox: Confinement) -> None:
        """Refuse to start without the sandbox the team file demands; warn, once, when the
        agent runs unconfined for want of one (never a silent fallback)."""
        if sandbox.error is not None:
            error = f"agent {self.agent_id} not started: {sandbox.error}"
            await self.failed(error)
            raise AcpBackendError(error)
        if sandbox.warning is not None and not self._warned:
            self._warned = True
            reason = f"agent {self.agent_id} ({self.role}) {sandbox.warning}"
            escalation = EscalationRaised(reason=reason, severity="warning", agent_id=self.agent_id)
            await self._store.append_durable(self.session_id, self.agent_id, escalation)

    def retry(self, state: RetryCallState) -> None:
        """A start failed and will be tried again (tenacity's ``before_sleep``)."""
        error = state.outcome.exception() if state.outcome is not None else None
        delay = state.next_action.sleep if state.next_action is not None else 0.0
        retry = RetryScheduled(
            operation="acp.start",
            attempt=state.attempt_number,
            delay_s=round(delay, 3),
            error=str(error),
        )
        self._store.append(self.session_id, self.agent_id, retry)

    def started(
        self, opened: Opened, *, command: list[str], pid: int, sandbox: Confinement
    ) -> None:
        """The handshake is done: the agent's session is open and it takes prompts."""
        self._store.append(
            self.session_id,
            self.agent_id,
            AgentStarted(
                agent_id=self.agent_id,
                role=self.role,
                backend="acp",
                command=command,
                pid=pid,
                protocol_version=opened.protocol_version,
                acp_session_id=opened.session_id,
                loaded=opened.loaded,
                sandbox=sandbox.info(),
            ),
        )

    def stopped(self, reason: str) -> None:
        """A turn ended (its stop reason), or the agent was stopped."""
        self._store.append(
            self.session_id, self.agent_id, AgentStopped(agent_id=self.agent_id, stop_reason=reason)
        )

    async def login_needed(
        self,
        offers: tuple[AuthOffer, ...] | list[AuthOffer],
        detail: str,
        *,
        step: str,
        spec: AgentSpec,
        log_path: Path,
    ) -> AgentAuthRequiredError:
        """Record that the agent needs a login (a critical escalation and ``agent.failed``)."""
        reason = login_reason(
            agent_id=self.agent_id,
            command=spec.command,
            step=step,
            detail=detail,
            offers=offers,
            hint=spec.login_hint,
            log_path=log_path,
        )
        await self._store.append_durable(
            self.session_id,
            self.agent_id,
            EscalationRaised(reason=reason, severity="critical", agent_id=self.agent_id),
        )
        await self.failed(reason, login_required=True)
        return AgentAuthRequiredError(reason)

    async def failed(
        self, error: str, exit_code: int | None = None, *, login_required: bool = False
    ) -> None:
        """Record (durably) why the agent failed, with what it last wrote to stderr."""
        failed = AgentFailed(
            agent_id=self.agent_id,
            error=error,
            exit_code=exit_code,
            stderr_tail=self._stderr_tail(),
            login_required=login_required,
        )
        await self._store.append_durable(self.session_id, self.agent_id, failed)

    async def exited(
        self, code: int, *, stopping: bool, invalid: str | None = None
    ) -> AgentDiedError:
        """The process is gone: record why (unless we stopped it); returns the error for those
        waiting on it. ``invalid`` says what it wrote that was not JSON-RPC, if that is why."""
        if stopping:
            error = f"agent {self.agent_id} was stopped"
        else:
            error = invalid or f"agent {self.agent_id} exited with code {code}"
            last = self._stderr_tail().strip().splitlines()[-1:]
            if last and invalid is None:  # what it said last, usually the why
                error += f": {last[0][:200]}"
        died = AgentDiedError(error, exit_code=code, stderr_tail=self._stderr_tail())
        if not stopping:
            await self.failed(error, code)
        return died
