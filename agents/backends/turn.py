"""One prompt turn of an ACP agent, and how it ends when it is cancelled: by the agent first.

A cancel, whoever asks (a turn timeout, ``quarterdeck cancel``, the console, Ctrl-C, SIGTERM, a
quitting console), reaches the agent the way ACP says: ``session/cancel`` is sent, every
pending permission is answered ``cancelled``, the turn's terminals are killed, and the agent
gets a bounded grace to end its turn with ``stopReason: cancelled``. Only then does the caller
stop the process (close stdin, SIGTERM, SIGKILL of its whole group).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from acp import text_block
from acp.client.connection import ClientSideConnection
from acp.schema import PromptResponse

from agents.backends.client import BackendClient
from agents.backends.executor import ToolExecutor
from agents.backends.spec import AgentDiedError

T = TypeVar("T")

OnCancel = Callable[["asyncio.Future[Any]"], Awaitable[None]]


class Lifeline:
    """Awaits requests to the agent while watching for its death (``died``)."""

    def __init__(self, grace_s: float) -> None:
        self.died: asyncio.Future[AgentDiedError] = asyncio.get_running_loop().create_future()
        self._grace_s = grace_s

    async def call(self, awaitable: Awaitable[T], on_cancel: OnCancel | None = None) -> T:
        """Await ``awaitable``, or raise ``AgentDiedError`` if the agent dies first.

        Cancelled meanwhile, it first lets ``on_cancel`` wind the request down (the turn's
        cooperative end), then drops the request and re-raises the cancel.
        """
        died = self.died
        task = asyncio.ensure_future(awaitable)
        try:
            waiters: set[asyncio.Future[Any]] = {task, died}
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            try:
                if on_cancel is not None and not task.done():
                    await on_cancel(task)
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)  # ended, not dropped
            raise
        if task.done():
            try:
                return task.result()
            except ConnectionError as exc:
                # The pipe closed; the watcher is about to say why (exit code, stderr).
                try:
                    raise await asyncio.wait_for(asyncio.shield(died), self._grace_s) from exc
                except TimeoutError:
                    raise AgentDiedError(f"the connection to the agent broke: {exc}") from exc
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        raise died.result()


class Turn:
    """The running prompt of one agent session, and its cooperative cancel."""

    def __init__(
        self,
        conn: ClientSideConnection,
        client: BackendClient,
        executor: ToolExecutor | None,
        *,
        lifeline: Lifeline,
        acp_session_id: str,
        grace_s: float,
    ) -> None:
        self._conn = conn
        self._client = client
        self._executor = executor
        self._lifeline = lifeline
        self._acp_session_id = acp_session_id
        self._grace_s = grace_s
        self.request: asyncio.Future[PromptResponse] | None = None
        self.cancel_requested = False
        """A cancel was asked during this turn: an agent stopped for ignoring it ended
        the turn "cancelled", not by dying."""
        self.cancelled_in_grace = False
        """The agent ended the turn itself within the grace after a cancel."""

    async def run(self, text: str) -> PromptResponse:
        """Send the prompt and await its answer; a cancel of the caller winds it down first."""
        self._client.cancelling = False
        self.request = asyncio.ensure_future(
            self._conn.prompt(session_id=self._acp_session_id, prompt=[text_block(text)])
        )
        try:
            return await self._lifeline.call(self.request, on_cancel=self._wind_down)
        finally:
            self._client.cancelling = False

    async def ask_to_cancel(self) -> None:
        """Tell the agent: ``session/cancel``, pending permissions ``cancelled``, terminals killed."""
        self.cancel_requested = True
        self._client.cancelling = True  # a permission asked from now on is answered cancelled
        # Bounded: an agent that stopped reading its stdin must not hold the cancel up.
        with contextlib.suppress(ConnectionError, TimeoutError):
            await asyncio.wait_for(
                self._conn.cancel(session_id=self._acp_session_id), self._grace_s
            )
        self._client.cancel_permissions()
        if self._executor is not None:
            await self._executor.kill_all()

    async def ended_within_grace(self) -> bool:
        """Wait the grace for the agent to end the turn after a cancel; True if it did."""
        request = self.request
        if request is None:
            return True
        waiters: set[asyncio.Future[Any]] = {request, self._lifeline.died}
        await asyncio.wait(waiters, timeout=self._grace_s, return_when=asyncio.FIRST_COMPLETED)
        self.cancelled_in_grace = request.done()
        return request.done() or self._lifeline.died.done()

    async def _wind_down(self, request: asyncio.Future[Any]) -> None:
        await self.ask_to_cancel()
        await self.ended_within_grace()
