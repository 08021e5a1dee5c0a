"""A role's agent in a re-drive: its recorded frames, served by the real client code.

``ReplayAgent`` stands where ``AcpAgent`` stands for the orchestrator (start, prompt, cancel,
stop) but starts no process: a prompt plays the next recorded turn of the agent over a
``ClientSideConnection`` to :class:`~agents.redrive.player.TapeTransport`, with the real frame
recorder writing the new log. A prompt the recording does not have, or another text than the
recorded one, ends the re-drive; an agent that died in the recording dies here too, at the same
point, so the runner's own retry is what runs next.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import NoReturn

from acp import RequestError, text_block
from acp.client.connection import ClientSideConnection

from agents.auth.gate import AuthGate
from agents.backends.frames import FrameRecorder
from agents.backends.spec import AcpBackendError, AgentDiedError
from agents.redrive.client import ReplayClient, ReplayExecutor
from agents.redrive.journal import Divergence, Halted, Journal, Kind
from agents.redrive.player import TapeTransport, play_turn
from agents.redrive.tape import AgentTape, Process, Turn
from sessions.schema.agent import AgentStarted, AgentStopped
from sessions.store.event_store import EventStore
from sessions.store.redaction import Redactor

_REDACT = Redactor()
"""Prompts are compared as the log keeps them: redacted."""


def first_difference(recorded: str, actual: str) -> tuple[str, str]:
    """The first line where two prompts differ, each side cut to 60 characters."""
    old, new = recorded.splitlines(), actual.splitlines()
    for index in range(max(len(old), len(new))):
        a = old[index] if index < len(old) else "(end)"
        b = new[index] if index < len(new) else "(end)"
        if a != b:
            return f"line {index + 1}: {a[:60]!r}", f"line {index + 1}: {b[:60]!r}"
    return "the recorded prompt", "another prompt"


class ReplayAgent:
    """The agent of one role, replayed from its tape."""

    def __init__(
        self,
        tape: AgentTape,
        *,
        session_id: str,
        role: str,
        workspace: Path,
        store: EventStore,
        gate: AuthGate,
        journal: Journal,
    ) -> None:
        self.tape = tape
        self.agent_id = tape.agent_id
        self.session_id = session_id
        self.role = role
        self.workspace = workspace
        self._store = store
        self._gate = gate
        self._journal = journal
        self._process: Process | None = None
        self._turn: Turn | None = None
        self._transport: TapeTransport | None = None
        self._client: ReplayClient | None = None
        self._conn: ClientSideConnection | None = None

    async def start(self) -> None:
        """Take the next recorded process whose handshake completed (earlier ones died in the
        handshake and were retried, as ``AcpAgent.start`` does)."""
        while self.tape.processes:
            process = self.tape.processes.popleft()
            if process.ready:
                self._process = process
                break
            if not self.tape.processes:
                raise AcpBackendError(process.death or f"agent {self.agent_id} did not start")
        if self._process is None:
            await self._beyond(f"no {self.agent_id}", f"{self.agent_id} started")
        executor = ReplayExecutor(
            journal=self._journal,
            session_id=self.session_id,
            agent_id=self.agent_id,
            role=self.role,
            workspace=self.workspace,
            store=self._store,
            gate=self._gate,
        )
        self._transport = TapeTransport()
        self._client = ReplayClient(executor, executor.workspace, lambda: self._turn)
        self._conn = ClientSideConnection(
            self._client,  # type: ignore[arg-type]  # duck-typed, as AcpAgent's
            self._transport,
            observers=[
                FrameRecorder(self._store, self.session_id, self.agent_id),
                self._client.observe,  # as live: announcements complete permission requests
            ],
        )
        started = AgentStarted(agent_id=self.agent_id, role=self.role, backend="redrive")
        self._store.append(self.session_id, self.agent_id, started)

    async def _beyond(self, expected: str, actual: str) -> NoReturn:
        divergence = Divergence(
            seq=self._journal.position,
            kind=Kind.PROMPT,
            expected=expected,
            actual=actual,
            agent_id=self.agent_id,
        )
        await self._journal.halt_here(divergence, beyond=True)

    async def prompt(self, text: str) -> str:
        """Play the agent's next recorded turn; returns its recorded stop reason."""
        process, conn, transport = self._process, self._conn, self._transport
        if process is None or conn is None or transport is None:
            raise AcpBackendError(f"agent {self.agent_id} is not started")
        if not process.turns:
            if process.death is not None:  # it died between turns in the recording
                raise AgentDiedError(process.death)
            await self._beyond(f"no further turn of {self.agent_id}", f"{self.agent_id} prompted")
        turn = process.turns.popleft()
        self._journal.position = turn.prompt.seq
        recorded, now = _REDACT.redact_text(turn.text), _REDACT.redact_text(text)
        if recorded != now:
            expected, actual = first_difference(recorded, now)
            divergence = Divergence(
                seq=turn.prompt.seq,
                kind=Kind.PROMPT,
                expected=expected,
                actual=actual,
                agent_id=self.agent_id,
                detail="the prompt text",
            )
            await self._journal.halt_here(divergence)
        self._turn = turn
        player = asyncio.ensure_future(
            play_turn(turn, transport, self._journal, agent_id=self.agent_id)
        )
        request = asyncio.ensure_future(
            conn.prompt(session_id=turn.acp_session_id, prompt=[text_block(text)])
        )
        try:
            if not await player:
                await self._unanswered(turn, process)
            response = await request
        except RequestError as exc:
            raise AcpBackendError(f"agent {self.agent_id} refused the prompt: {exc}") from exc
        finally:
            for task in (player, request):
                task.cancel()
            await asyncio.gather(player, request, return_exceptions=True)
        reason = str(response.stop_reason)
        stopped = AgentStopped(agent_id=self.agent_id, stop_reason=reason)
        self._store.append(self.session_id, self.agent_id, stopped)
        return reason

    async def _unanswered(self, turn: Turn, process: Process) -> None:
        """The recording has no answer to this prompt: the re-drive stopped inside it, the
        agent died there (and dies here), or the log ends there."""
        if self._journal.stopped:
            await asyncio.sleep(0)  # the run is cancelled: take it here
            raise Halted("the re-drive stopped")  # not reached in the run's own task
        if process.death is not None and not process.turns:
            raise AgentDiedError(process.death)
        divergence = Divergence(
            seq=turn.prompt.seq,
            kind=Kind.PROMPT,
            expected="an answer to the prompt",
            actual="none recorded",
            agent_id=self.agent_id,
        )
        await self._journal.halt_here(divergence, beyond=True)

    async def cancel(self) -> None:
        """Answer pending permissions "cancelled"; the recorded turn plays on as recorded."""
        if self._client is not None:
            self._client.cancelling = True
            self._client.cancel_permissions()

    async def stop(self) -> None:
        """Close the connection; nothing else runs."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._client is not None:
            self._client.cancel_permissions()
        with contextlib.suppress(Exception):
            await conn.close()
        if self._transport is not None:
            await self._transport.close()
        stopped = AgentStopped(agent_id=self.agent_id, stop_reason="stopped")
        self._store.append(self.session_id, self.agent_id, stopped)
