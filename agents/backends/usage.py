"""An agent's ``usage_update`` notifications as ``agent.usage`` events, coalesced.

An agent may report its usage after every chunk it streams. The raw frames are kept anyway
(:mod:`agents.backends.frames`); the typed event is what the console and the budget read, so it
is written only when it tells something new: at once when the cost, the currency or the context
size changes (a cost is what a budget acts on), and for the context used, once it has moved by
a hundredth of the window (or 1,000 tokens when the agent gives no size). A report held back is
written when the turn ends, so each turn's last word on usage is in the log. Fire-and-forget,
like ``tool.result`` (decisions D34): a lost report is superseded by the next.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sessions.schema.agent import AgentUsage

USED_STEP_TOKENS = 1000
"""How far the context used must move to be recorded when the agent gives no window size."""

USED_STEP_SHARE = 0.01
"""How far the context used must move to be recorded, as a share of the window."""


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def usage_of(agent_id: str, acp_session_id: str | None, update: dict[str, Any]) -> AgentUsage:
    """The ``agent.usage`` payload of one raw ``usage_update`` (whatever fields it has)."""
    cost = update.get("cost")
    amount = cost.get("amount") if isinstance(cost, dict) else None
    currency = cost.get("currency") if isinstance(cost, dict) else None
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        amount = None
    return AgentUsage(
        agent_id=agent_id,
        acp_session_id=acp_session_id,
        used=_count(update.get("used")),
        size=_count(update.get("size")),
        cost=float(amount) if amount is not None else None,
        currency=currency if isinstance(currency, str) and currency else None,
    )


class UsageRecorder:
    """Records one agent's usage reports through ``emit``, only when they tell something new;
    ``heard`` (the session's budget) hears every report at once."""

    def __init__(
        self,
        agent_id: str,
        emit: Callable[[AgentUsage], None],
        *,
        heard: Callable[[AgentUsage], None] | None = None,
    ) -> None:
        self._agent_id = agent_id
        self._emit = emit
        self._heard = heard
        self._recorded: AgentUsage | None = None
        self._held: AgentUsage | None = None

    def update(self, acp_session_id: str | None, update: dict[str, Any]) -> None:
        """One ``usage_update`` from the agent (its raw ``update`` object)."""
        usage = usage_of(self._agent_id, acp_session_id, update)
        if self._heard is not None:
            self._heard(usage)
        if self._worth_recording(usage):
            self._record(usage)
        else:
            self._held = usage if usage != self._recorded else None

    def flush(self) -> None:
        """The turn ended (or the agent is going): record the report held back, if any."""
        if self._held is not None:
            self._record(self._held)

    def _record(self, usage: AgentUsage) -> None:
        self._recorded, self._held = usage, None
        self._emit(usage)

    def _worth_recording(self, usage: AgentUsage) -> bool:
        last = self._recorded
        if last is None or usage.acp_session_id != last.acp_session_id:
            return True
        if (usage.cost, usage.currency, usage.size) != (last.cost, last.currency, last.size):
            return True
        if usage.used == last.used:
            return False
        if usage.used is None or last.used is None:
            return True
        step = usage.size * USED_STEP_SHARE if usage.size else USED_STEP_TOKENS
        return abs(usage.used - last.used) >= step


class Spending(Protocol):
    """The session's budget, as an agent's backend sees it (:mod:`agents.orchestrator.budget`)."""

    def heard(self, usage: AgentUsage) -> None:
        """The agent reported its usage (every report, as it arrives)."""

    async def hold(self, *, agent_id: str, role: str) -> str | None:
        """Wait while the session is past its budget: None to go on, or why it is stopping."""
