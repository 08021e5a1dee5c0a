"""A session's budget (``[workflow] budget``): what its agents cost, and the pause past it.

Every ``usage_update`` an agent sends is heard here as it arrives (:mod:`agents.backends.usage`),
so the running totals are exact without reading the log: ACP's cost is the total of one ACP
session, so the latest report of each (agent, ACP session, currency) counts, and their sum is
what the session spent. Before each prompt and each tool call the session is held while what it
spent is past its limit: ``budget.reached`` is recorded and a person is asked through the
approvals queue, like any "ask" (a headless run answers as its ``--on-ask`` says). Yes raises
the limit by the team's ``budget`` once more (or as often as it takes to be above what is spent),
recorded as ``budget.raised``; no — or no answer in time — stops the session, which ends
``cancelled`` saying so. Different currencies are never added: without ``budget_currency`` the
limit applies to each currency the agents report on its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from agents.approvals.broker import ApprovalBroker, Outcome
from agents.auth.requests import ToolKind, ToolRequest
from agents.orchestrator.progress import Progress
from agents.team import Workflow
from sessions.errors import QuarterdeckError
from sessions.readmodel.usage import money
from sessions.schema.agent import AgentUsage
from sessions.schema.session import BudgetRaised, BudgetReached
from sessions.store.event_store import EventStore

if TYPE_CHECKING:
    from agents.orchestrator.session import SessionRunner


class BudgetStoppedError(QuarterdeckError):
    """A person would not let the session spend past its budget (or nobody answered)."""


@dataclass(kw_only=True)
class Budget:
    """The spending limit of one session, and what its agents have cost so far."""

    session_id: str
    store: EventStore
    broker: ApprovalBroker
    workspace: Path
    step: float | None
    """The team's ``budget``: the first limit, and how much each "go on" adds. None: none."""
    currency: str | None = None
    stop: Callable[[str], object] = lambda _reason: None
    """Stops the session, saying why (a tool call found the budget refused)."""
    limit: float | None = None
    """The limit now: ``step`` until a person raises it."""
    costs: dict[tuple[str, str, str], float] = field(default_factory=dict)
    """The running total of each (agent, ACP session, currency)."""
    stopped: str | None = None
    """Why the session may spend no more, once a person said no."""
    _asked: int = 0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        if self.limit is None:
            self.limit = self.step

    @classmethod
    def of(
        cls,
        workflow: Workflow,
        *,
        session_id: str,
        store: EventStore,
        broker: ApprovalBroker,
        workspace: Path,
        stop: Callable[[str], object],
        start: Progress | None = None,
    ) -> Budget:
        """The budget of a session of this workflow (resuming ``start``: what was spent and
        any limit a person raised carry on)."""
        return cls(
            session_id=session_id,
            stop=stop,
            store=store,
            broker=broker,
            workspace=workspace,
            step=workflow.budget,
            currency=workflow.budget_currency,
            limit=start.budget_limit if start is not None else None,
            costs=dict(start.costs) if start is not None else {},
        )

    def heard(self, usage: AgentUsage) -> None:
        """An agent reported its usage (every report, as it arrives)."""
        if usage.cost is not None and usage.currency:
            run = (usage.agent_id, usage.acp_session_id or "", usage.currency)
            self.costs[run] = usage.cost

    def spent(self, currency: str) -> float:
        """What the session's agents cost so far in ``currency``."""
        return sum(amount for (_, _, cur), amount in self.costs.items() if cur == currency)

    def over(self) -> tuple[str, float] | None:
        """The currency, and what was spent in it, when that is past the limit."""
        if self.limit is None:
            return None
        currencies = {cur for _, _, cur in self.costs} if self.currency is None else {self.currency}
        for currency in sorted(currencies):
            spent = self.spent(currency)
            if spent > self.limit:
                return currency, spent
        return None

    async def before_prompt(self, *, agent_id: str, role: str) -> None:
        """Hold the next prompt while the budget is past; raises :class:`BudgetStoppedError`
        when a person will not let the session go on."""
        if self.stopped is not None:
            raise BudgetStoppedError(self.stopped)
        if self.over() is None:
            return
        async with self._lock:  # one question at a time; the others wait for its answer
            while (over := self.over()) is not None:
                if self.stopped is not None:
                    raise BudgetStoppedError(self.stopped)
                await self._ask(agent_id, role, over)

    async def hold(self, *, agent_id: str, role: str) -> str | None:
        """Hold a tool call while the budget is past: None to go on, or why the session is
        stopping (it has been told to)."""
        try:
            await self.before_prompt(agent_id=agent_id, role=role)
        except BudgetStoppedError as exc:
            self.stop(str(exc))
            return str(exc)
        return None

    async def _ask(self, agent_id: str, role: str, over: tuple[str, float]) -> None:
        (currency, spent), limit, step = over, self.limit, self.step
        assert limit is not None and step is not None
        reached = f"budget reached: {money(spent, currency)} of {money(limit, currency)}"
        await self.store.append_durable(
            self.session_id,
            "orchestrator",
            BudgetReached(spent=spent, limit=limit, currency=currency),
        )
        self._asked += 1
        resolution = await self.broker.request(
            session_id=self.session_id,
            agent_id=agent_id,
            call_id=f"budget-{self._asked}",
            request=ToolRequest(tool=ToolKind.OTHER, role=role, workspace=self.workspace),
            summary=f"{reached} — continue?",
            risk="medium",
            reason=f"approve: it may spend {money(step, currency)} more; deny: it stops",
        )
        if resolution.outcome.approved:
            raised = limit + step
            while raised < spent:  # past the limit by more than a step: above what is spent
                raised += step
            self.limit = raised = round(raised, 6)  # no float dust in the log
            raise_event = BudgetRaised(limit=raised, currency=currency, by=resolution.decided_by)
            await self.store.append_durable(self.session_id, "orchestrator", raise_event)
            return
        why = {Outcome.TIMEOUT: f" ({resolution.reason})"}.get(resolution.outcome, "")
        self.stopped = f"stopped: {reached}{why}"


def budget_for(runner: SessionRunner) -> Budget:
    """The budget of a runner's session, by its team's workflow (resuming: as it was left)."""
    return Budget.of(
        runner.spec.team.workflow,
        session_id=runner.session_id,
        store=runner.store,
        broker=runner.broker,
        workspace=runner.spec.workspace,
        stop=runner.cancel,
        start=runner.start,
    )
