"""Run one ACP agent process for one role of one session.

``AcpAgent`` owns the process (absolute command, scrubbed environment, its own process group,
stderr drained to a log file), the protocol conversation (initialize with a version check,
login detection at every step, session/new or session/load, optional mode, prompt, cancel) and
its teardown (close stdin, SIGTERM, SIGKILL: never an orphan). A turn and its cooperative cancel
are :mod:`agents.backends.turn`'s. Requests the agent makes of us are served by
``BackendClient`` through the gate; every raw frame is recorded by ``FrameRecorder``; what
became of the agent (started, stopped, failed, died) is :mod:`agents.backends.agent_events`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from pathlib import Path

from acp import RequestError
from acp.client.connection import ClientSideConnection
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from agents.auth.ceiling import Ceiling
from agents.auth.gate import AuthGate
from agents.backends.agent_events import AgentEvents
from agents.backends.client import BackendClient
from agents.backends.env import scrubbed_env
from agents.backends.executor import ActionLog, ToolExecutor
from agents.backends.frames import FrameRecorder
from agents.backends.handshake import LoginNeeded, Refused, VersionMismatch, open_session
from agents.backends.login import AuthOffer, is_login_error
from agents.backends.process import STDOUT_LIMIT, PipeTransport, terminate
from agents.backends.spec import (
    AcpBackendError,
    AgentAuthRequiredError,
    AgentDiedError,
    AgentSpec,
    ProtocolMismatchError,
)
from agents.backends.stderr_log import LogLimits, StderrDrain
from agents.backends.turn import Lifeline, Turn
from agents.backends.usage import Spending
from agents.sandbox.host import UNCONFINED, Confinement
from sessions.store.event_store import EventStore

__all__ = [
    "AcpAgent",
    "AcpBackendError",
    "AgentAuthRequiredError",
    "AgentDiedError",
    "AgentSpec",
    "ProtocolMismatchError",
]


class AcpAgent:
    """One ACP agent process serving one role of one session."""

    def __init__(
        self,
        spec: AgentSpec,
        *,
        session_id: str,
        agent_id: str,
        role: str,
        workspace: Path,
        store: EventStore,
        gate: AuthGate,
        log_dir: Path,
        log_limits: LogLimits | None = None,
        ceiling: Ceiling | None = None,
        retry_attempts: int = 3,
        retry_max_s: float = 30.0,
        acp_session_id: str | None = None,
        grace_s: float = 2.0,
        cancel_grace_s: float = 5.0,
        handshake_timeout_s: float = 60.0,
        sandbox: Confinement = UNCONFINED,
        actions: ActionLog | None = None,
        spending: Spending | None = None,
    ) -> None:
        self.spec = spec
        self.session_id = session_id
        self.agent_id = agent_id
        self.role = role
        self.workspace = workspace.resolve()
        self._store = store
        self._gate = gate
        self.log_path = log_dir / f"{session_id}.{agent_id}.stderr.log"
        self._log_limits = log_limits
        self._ceiling = ceiling
        self._retry_attempts = max(1, retry_attempts)
        self._retry_max_s = retry_max_s
        self.acp_session_id = acp_session_id
        """The agent's own session id: given to resume with session/load, set by start()."""
        self._grace_s = grace_s
        self._cancel_grace_s = cancel_grace_s
        """How long a cancelled turn may take to end itself before the process is stopped."""
        self._handshake_timeout_s = handshake_timeout_s
        self._process: asyncio.subprocess.Process | None = None
        self._conn: ClientSideConnection | None = None
        self._transport: PipeTransport | None = None
        self._client: BackendClient | None = None
        self._executor: ToolExecutor | None = None
        self._stderr: StderrDrain | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._lifeline: Lifeline | None = None
        self._recorder: FrameRecorder | None = None
        self._turn: Turn | None = None
        self._offers: tuple[AuthOffer, ...] = ()
        self._stopping = False
        self._invalid_reason: str | None = None
        self.sandbox = sandbox
        """How the process and its commands are confined (recorded in ``agent.started``)."""
        self._actions = actions
        self._spending = spending
        """The session's budget: hears the agent's usage, holds its tool calls past it."""
        self._events = AgentEvents(
            store, session_id=session_id, agent_id=agent_id, role=role, stderr_tail=self.stderr_tail
        )

    @property
    def pid(self) -> int | None:
        """The agent process's pid while one runs."""
        return self._process.pid if self._process is not None else None

    def stderr_tail(self) -> str:
        """The last ~4 KB the agent wrote to stderr."""
        return self._stderr.tail() if self._stderr is not None else ""

    # -- start -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Spawn, initialize (and log in if configured), open the session; retried with backoff.

        Raises ``AgentAuthRequiredError`` (never retried), ``ProtocolMismatchError``, or the
        last ``AgentDiedError`` once ``retry_attempts`` are spent.
        """
        program = shutil.which(self.spec.command)
        if program is None:
            error = f"agent command {self.spec.command!r} was not found on PATH"
            await self._events.failed(error)
            raise AcpBackendError(error)
        await self._events.check_sandbox(self.sandbox)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._retry_attempts),
            wait=wait_random_exponential(multiplier=0.1, max=self._retry_max_s),
            retry=retry_if_exception_type(AgentDiedError),
            before_sleep=self._events.retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                await self._start_once(program)

    async def _start_once(self, program: str) -> None:
        self._stopping = False
        self._invalid_reason = None
        self._lifeline = Lifeline(self._grace_s)
        env = scrubbed_env(self.spec.env)
        argv = self.sandbox.wrap([program, *self.spec.args], self.workspace)
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
                cwd=self.workspace,
                limit=STDOUT_LIMIT,
                start_new_session=True,  # its own group, so teardown reaches its children
            )
        except OSError as exc:
            error = f"agent command {program!r} could not start: {exc}"
            await self._events.failed(error)
            raise AcpBackendError(error) from exc
        assert process.stderr is not None
        self._process = process
        self._stderr = StderrDrain(
            process.stderr, self.log_path, redact=self._store.redact_text, limits=self._log_limits
        )
        self._executor = ToolExecutor(
            session_id=self.session_id,
            agent_id=self.agent_id,
            role=self.role,
            workspace=self.workspace,
            store=self._store,
            gate=self._gate,
            env=env,
            ceiling=self._ceiling,
            secret_vars=self.spec.secret_vars,
            wrap=self.sandbox.wrap if self.sandbox.bwrap is not None else None,
            actions=self._actions,
            spending=self._spending,
        )
        self._client = BackendClient(self._executor, self.workspace)
        self._transport = PipeTransport(process, self._on_invalid)
        heard = self._spending.heard if self._spending is not None else None
        self._recorder = FrameRecorder(self._store, self.session_id, self.agent_id, on_usage=heard)
        self._conn = ClientSideConnection(
            # Duck-typed on purpose (acp.md §5.8): a subclass of the Protocol would answer
            # null for methods we do not implement instead of method-not-found.
            self._client,  # type: ignore[arg-type]
            self._transport,
            observers=[
                self._recorder,
                self._client.observe,  # announced tool calls and turn ends, in wire order
            ],
        )
        self._watcher = asyncio.create_task(self._watch(process), name=f"watch-{self.agent_id}")
        try:
            async with asyncio.timeout(self._handshake_timeout_s):
                await self._handshake(self._conn, program, process.pid)
        except TimeoutError:
            await self._events.failed(f"no answer to the handshake in {self._handshake_timeout_s}s")
            await self._teardown()
            raise AgentDiedError("the agent did not answer the handshake") from None
        except BaseException:
            await self._teardown()
            raise

    async def _handshake(self, conn: ClientSideConnection, program: str, pid: int) -> None:
        assert self._lifeline is not None
        try:
            opened = await open_session(
                conn,
                self._lifeline.call,
                spec=self.spec,
                workspace=self.workspace,
                resume_id=self.acp_session_id,
            )
        except VersionMismatch as exc:
            await self._events.failed(str(exc))
            raise ProtocolMismatchError(str(exc)) from exc
        except LoginNeeded as exc:
            raise await self._login_needed(exc.offers, str(exc), step=exc.step) from exc
        except Refused as exc:
            await self._events.failed(f"the agent refused {exc}")
            raise AcpBackendError(f"the agent refused {exc}") from exc
        self.acp_session_id, self._offers = opened.session_id, opened.offers
        command = [program, *self.spec.args]
        self._events.started(opened, command=command, pid=pid, sandbox=self.sandbox)

    async def _login_needed(
        self, offers: tuple[AuthOffer, ...] | list[AuthOffer], detail: str, *, step: str
    ) -> AgentAuthRequiredError:
        return await self._events.login_needed(
            offers, detail, step=step, spec=self.spec, log_path=self.log_path
        )

    # -- the running process ---------------------------------------------------------------

    def _on_invalid(self, reason: str) -> None:
        """The agent wrote something that is not JSON-RPC: it is broken, so end it."""
        self._invalid_reason = reason
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()

    async def _watch(self, process: asyncio.subprocess.Process) -> None:
        code = await process.wait()
        if self._stderr is not None:
            try:
                # The whole tail, unless a grandchild still holds stderr open.
                await asyncio.wait_for(self._stderr.finished(), self._grace_s)
            except TimeoutError:
                self._stderr.cancel()
        # Nobody is left to act on an answer: free the approvals queue and the terminals.
        if self._client is not None:
            self._client.cancel_permissions()
        if self._executor is not None:
            await self._executor.kill_all()
        died = await self._events.exited(
            code, stopping=self._stopping, invalid=self._invalid_reason
        )
        if self._lifeline is not None and not self._lifeline.died.done():
            self._lifeline.died.set_result(died)

    # -- turns -----------------------------------------------------------------------------

    async def prompt(self, text: str) -> str:
        """Run one turn; returns the stop reason.

        Raises ``AgentDiedError`` if the agent dies, ``AgentAuthRequiredError`` when it answers
        that it needs a login. Cancelled meanwhile, it first asks the agent to end the turn
        (:class:`~agents.backends.turn.Turn`), then re-raises the cancel.
        """
        conn, client, lifeline = self._conn, self._client, self._lifeline
        if conn is None or client is None or lifeline is None or self.acp_session_id is None:
            raise AcpBackendError(f"agent {self.agent_id} is not started")
        if lifeline.died.done():
            raise lifeline.died.result()
        turn = self._turn = Turn(
            conn,
            client,
            self._executor,
            lifeline=lifeline,
            acp_session_id=self.acp_session_id,
            grace_s=self._cancel_grace_s,
        )
        try:
            reason = str((await turn.run(text)).stop_reason)
        except RequestError as exc:
            if is_login_error(exc):
                needed = await self._login_needed(self._offers, str(exc), step="session/prompt")
                await self._teardown()  # never retried: the process has nothing left to do
                raise needed from exc
            if lifeline.died.done():  # its last answer, as it died
                raise lifeline.died.result() from exc
            if self._stopping:  # its answer to being stopped mid-turn
                stopped = f"agent {self.agent_id} was stopped"
                raise AgentDiedError(stopped, stderr_tail=self.stderr_tail()) from exc
            raise AcpBackendError(f"agent {self.agent_id} refused the prompt: {exc}") from exc
        except AgentDiedError:
            if not turn.cancel_requested:
                raise
            reason = "cancelled"  # it ignored session/cancel and was stopped after the grace
        except asyncio.CancelledError:
            if turn.cancelled_in_grace:
                self._events.stopped("cancelled")
            raise
        finally:
            self._turn = None
        self._events.stopped(reason)
        return reason

    async def cancel(self) -> None:
        """End the running turn, the agent's way first (``session/cancel``, pending permissions
        answered cancelled, terminals killed); an agent that has not ended it within the cancel
        grace is stopped, and the turn ends "cancelled"."""
        turn = self._turn
        if turn is None:
            if self._client is not None:
                self._client.cancel_permissions()
            return
        await turn.ask_to_cancel()
        if not await turn.ended_within_grace():
            await self._teardown()

    async def stop(self) -> None:
        """Close stdin, wait, terminate, kill: the process and its terminals never outlive us."""
        alive = self._process is not None and self._process.returncode is None
        await self._teardown()
        if alive:
            self._events.stopped("stopped")

    async def _teardown(self) -> None:
        self._stopping = True
        if self._recorder is not None:
            self._recorder.flush_replay()
        if self._client is not None:
            self._client.cancel_permissions()
        if self._executor is not None:
            await self._executor.kill_all()
        if self._transport is not None:
            await self._transport.close()
        if self._process is not None:
            await terminate(
                self._process, self._grace_s, leader_last=self.sandbox.bwrap is not None
            )
        if self._conn is not None:
            await self._conn.close()
        if self._watcher is not None:
            await self._watcher
