"""A turn whose agent died is played again with a fresh agent — unless it had acted.

An agent that died before it journaled anything (no ``tool.intent`` of its since the turn
began) left nothing half done: the turn is tried again, with backoff, up to ``TURN_ATTEMPTS``
times within ``TURN_RETRY_BUDGET_S``, each retry a ``retry.scheduled`` event. One that had
journaled a side effect is not safe to repeat: its death fails the session.
:class:`~agents.orchestrator.session.SessionRunner` plays the turn; this decides whether to play
it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from agents.backends.spec import AgentDiedError
from sessions.schema.base import Payload
from sessions.schema.flow import RetryScheduled
from sessions.store.event_store import EventStore
from sessions.store.reading import load_session

TURN_ATTEMPTS = 3
TURN_RETRY_BUDGET_S = 120.0


class TurnDiedCleanly(Exception):
    """The agent died before it journaled anything: the turn may be tried again."""

    def __init__(self, died: AgentDiedError) -> None:
        super().__init__(str(died))
        self.died = died


async def retried(
    role: str, play: Callable[[], Awaitable[None]], *, emit: Callable[[Payload], Awaitable[object]]
) -> None:
    """Play ``role``'s turn, again while its agent dies cleanly (``emit`` records each retry).

    Raises the last ``AgentDiedError`` once the attempts or the budget are spent.
    """

    async def before_sleep(state: RetryCallState) -> None:
        await emit(retry_scheduled(role, state))

    retrying = AsyncRetrying(
        retry=retry_if_exception_type(TurnDiedCleanly),
        stop=stop_after_attempt(TURN_ATTEMPTS) | stop_after_delay(TURN_RETRY_BUDGET_S),
        wait=wait_exponential_jitter(multiplier=0.2, max=8.0),
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        async for try_ in retrying:
            with try_:
                await play()
    except TurnDiedCleanly as exc:
        raise exc.died from None


def retry_scheduled(role: str, state: RetryCallState) -> RetryScheduled:
    """The event saying ``role``'s turn will be tried again, when, and why."""
    error = state.outcome.exception() if state.outcome is not None else None
    delay = state.next_action.sleep if state.next_action is not None else 0.0
    return RetryScheduled(
        operation=f"{role} turn",
        attempt=state.attempt_number + 1,
        delay_s=round(delay, 3),
        error=str(error.__cause__ or error) if error else "unknown",
    )


async def journaled_since(store: EventStore, session_id: str, *, agent_id: str, since: int) -> bool:
    """Whether ``agent_id`` journaled a side effect (a ``tool.intent``) after ``since``."""
    await asyncio.to_thread(store.flush)
    records = await asyncio.to_thread(load_session, store.engine, session_id)
    return any(r.seq > since and r.kind == "tool.intent" and r.actor == agent_id for r in records)
