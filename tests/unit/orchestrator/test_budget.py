"""A session's budget: what it spent, per currency; the question past it; the team's setting."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agents.approvals.autoanswer import answer_automatically
from agents.approvals.broker import ApprovalBroker
from agents.approvals.on_ask import OnAsk
from agents.orchestrator.budget import Budget, BudgetStoppedError
from agents.orchestrator.progress import fold_progress
from agents.team import TeamError, Workflow, load_team
from sessions.schema.agent import AgentUsage
from sessions.schema.session import BudgetRaised
from sessions.store.event_store import EventStore
from sessions.store.record import Record

SID = "s-1"


def _budget(
    store: EventStore,
    broker: ApprovalBroker,
    *,
    step: float | None = 0.5,
    currency: str | None = None,
    stops: list[str] | None = None,
) -> Budget:
    workflow = Workflow(budget=step, budget_currency=currency)
    stopped = stops if stops is not None else []
    return Budget.of(
        workflow,
        session_id=SID,
        store=store,
        broker=broker,
        workspace=Path("/work"),
        stop=stopped.append,
    )


def _spend(budget: Budget, agent: str, run: str, cost: float, currency: str = "USD") -> None:
    budget.heard(AgentUsage(agent_id=agent, acp_session_id=run, cost=cost, currency=currency))


@pytest.fixture
def store(make_store: Callable[..., EventStore]) -> EventStore:
    made: EventStore = make_store()
    return made


def _kinds(store: EventStore) -> list[str]:
    store.flush()
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT kind FROM event ORDER BY seq").fetchall()
    return [row[0] for row in rows]


def test_spent_is_the_latest_total_of_each_acp_session_and_each_currency_stands_alone(
    store: EventStore,
) -> None:
    budget = _budget(store, ApprovalBroker(store))
    _spend(budget, "impl-1", "a", 0.30)
    _spend(budget, "impl-1", "a", 0.40)  # the same ACP session: replaces
    _spend(budget, "impl-1", "b", 0.05)  # restarted: adds
    _spend(budget, "rev-1", "c", 0.45, "EUR")
    assert budget.spent("USD") == pytest.approx(0.45)
    assert budget.over() is None  # 0.45 USD and 0.45 EUR: each under 0.50, never added
    _spend(budget, "rev-1", "c", 0.60, "EUR")
    assert budget.over() == ("EUR", 0.60)


def test_a_budget_in_one_currency_ignores_the_others(store: EventStore) -> None:
    budget = _budget(store, ApprovalBroker(store), currency="USD")
    _spend(budget, "rev-1", "c", 9.0, "EUR")
    assert budget.over() is None


async def test_no_budget_never_holds(store: EventStore) -> None:
    budget = _budget(store, ApprovalBroker(store), step=None)
    _spend(budget, "impl-1", "a", 1_000.0)
    await budget.before_prompt(agent_id="impl-1", role="implementer")
    assert _kinds(store) == []


async def test_yes_raises_the_limit_above_what_was_spent_and_records_it(
    store: EventStore,
) -> None:
    broker = ApprovalBroker(store)
    answers = answer_automatically(broker, OnAsk.ALLOW)
    budget = _budget(store, broker)
    _spend(budget, "impl-1", "a", 1.20)  # past 0.50 by more than a step
    await budget.before_prompt(agent_id="impl-1", role="implementer")
    await answers.close()
    assert budget.limit == 1.5  # 0.50 + 0.50 is still under 1.20: one more step
    assert _kinds(store) == [
        "budget.reached",
        "approval.requested",
        "approval.resolved",
        "budget.raised",
    ]
    await budget.before_prompt(agent_id="impl-1", role="implementer")  # under it now
    assert len(_kinds(store)) == 4


async def test_no_stops_the_session_and_it_is_not_asked_again(store: EventStore) -> None:
    broker = ApprovalBroker(store)
    answers = answer_automatically(broker, OnAsk.DENY)
    stops: list[str] = []
    budget = _budget(store, broker, stops=stops)
    _spend(budget, "impl-1", "a", 2.61)
    with pytest.raises(BudgetStoppedError, match=r"stopped: budget reached: \$2.61 of \$0.50"):
        await budget.before_prompt(agent_id="impl-1", role="implementer")
    assert stops == []  # a prompt's refusal ends the session by the error itself
    why = await budget.hold(agent_id="impl-1", role="implementer")  # a tool call after it
    await answers.close()
    assert why == "stopped: budget reached: $2.61 of $0.50"
    assert stops == [why]  # a tool call cannot raise into the session: it stops it
    assert _kinds(store).count("approval.requested") == 1


async def test_no_answer_in_time_stops_it_saying_so(store: EventStore) -> None:
    budget = _budget(store, ApprovalBroker(store, timeout_s=0.01))
    _spend(budget, "impl-1", "a", 0.6)
    why = await budget.hold(agent_id="impl-1", role="implementer")
    assert why is not None and why.startswith("stopped: budget reached: $0.60 of $0.50")
    assert "no answer" in why


def _record(seq: int, kind: str, payload: str) -> Record:
    return Record(seq, SID, seq, "2026-11-24T10:00:00.000000Z", "x", kind, 1, payload, "0", "0")


def test_a_resumed_session_keeps_what_it_spent_and_its_raised_limit(store: EventStore) -> None:
    records = [
        _record(
            1,
            "agent.usage",
            AgentUsage(
                agent_id="impl-1", acp_session_id="a", cost=0.7, currency="USD"
            ).model_dump_json(),
        ),
        _record(2, "budget.raised", BudgetRaised(limit=1.0, currency="USD").model_dump_json()),
    ]
    progress = fold_progress(SID, records)
    assert progress.costs == {("impl-1", "a", "USD"): 0.7}
    budget = Budget.of(
        Workflow(budget=0.5),
        session_id=SID,
        store=store,
        broker=ApprovalBroker(store),
        workspace=Path("/work"),
        stop=lambda _why: None,
        start=progress,
    )
    assert (budget.limit, budget.spent("USD"), budget.over()) == (1.0, 0.7, None)


@pytest.mark.parametrize(
    ("workflow", "problem"),
    [
        ("budget = -1", "workflow.budget: Input should be greater than 0"),
        ("budget = true", "workflow.budget: Value error, budget must be an amount like 2.50"),
        ('budget = "lots"', "workflow.budget: Input should be a valid number"),
        ('budget_currency = "EUR"', "workflow: Value error, budget_currency needs a budget"),
        (
            'budget = 1\nbudget_currency = "dollars"',
            "budget_currency must be a currency code like USD, not 'dollars'",
        ),
    ],
)
def test_a_bad_budget_is_one_clear_line(tmp_path: Path, workflow: str, problem: str) -> None:
    team = tmp_path / "team.toml"
    team.write_text(
        f'[roles.implementer]\nbackend = "demo"\nplaybook = "p.toml"\n[workflow]\n{workflow}\n'
    )
    with pytest.raises(TeamError) as info:
        load_team(team)
    assert problem in str(info.value)
    assert "\n" not in str(info.value)


def test_a_budget_and_its_currency_load(tmp_path: Path) -> None:
    team = tmp_path / "team.toml"
    team.write_text(
        '[roles.implementer]\nbackend = "demo"\nplaybook = "p.toml"\n'
        '[workflow]\nbudget = 2.50\nbudget_currency = "eur"\n'
    )
    workflow = load_team(team).workflow
    assert (workflow.budget, workflow.budget_currency) == (2.5, "EUR")
