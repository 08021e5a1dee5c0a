"""What agents cost, folded: running totals per ACP session, restarts, currencies; the day's
spend from the store's projection; how amounts and token counts read."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

import orjson
import pytest

from app.spend import day_start
from screens.format import tokens, usage_text
from sessions.readmodel.reducer import fold
from sessions.readmodel.usage import Money, money, moneys
from sessions.readmodel.views import ConsoleView
from sessions.schema.agent import AgentStarted, AgentUsage
from sessions.schema.base import Payload
from sessions.store.event_store import EventStore
from sessions.store.record import Record
from sessions.store.usage_projection import day_spend

S1, S2 = "s-1", "s-2"


def _records(*items: tuple[str, Payload]) -> list[Record]:
    return [
        Record(
            seq,
            sid,
            seq,
            f"2026-11-24T10:00:{seq:02d}.000000Z",
            "agent",
            payload.KIND,
            1,
            orjson.dumps(payload.to_json_obj()).decode(),
            "0" * 64,
            "0" * 64,
        )
        for seq, (sid, payload) in enumerate(items, start=1)
    ]


def _usage(agent: str, run: str, cost: float | None, currency: str = "USD", **kw: int) -> Payload:
    return AgentUsage(
        agent_id=agent,
        acp_session_id=run,
        cost=cost,
        currency=currency if cost is not None else None,
        **kw,
    )


def _view(*items: tuple[str, Payload]) -> ConsoleView:
    return fold(_records(*items))


def test_a_later_report_of_the_same_acp_session_replaces_the_earlier_one() -> None:
    view = _view((S1, _usage("impl-1", "a", 0.10)), (S1, _usage("impl-1", "a", 0.25)))
    session = view.session(S1)
    assert session is not None
    assert session.spent == (Money("USD", 0.25),)  # cumulative, not 0.35


def test_an_agent_restarted_in_a_new_acp_session_adds_its_new_total() -> None:
    view = _view(
        (S1, AgentStarted(agent_id="impl-1", role="implementer", backend="acp")),
        (S1, _usage("impl-1", "a", 0.30, used=150_000, size=200_000)),
        (S1, AgentStarted(agent_id="impl-1", role="implementer", backend="acp")),
        (S1, _usage("impl-1", "b", 0.12)),
    )
    session = view.session(S1)
    assert session is not None
    agent = session.agent("impl-1")
    assert agent is not None
    assert agent.spent == (Money("USD", pytest.approx(0.42)),)
    # The new process has not said how full its context is: the old figure is gone.
    assert (agent.context_used, agent.context_size) == (None, None)
    assert usage_text(agent) == "$0.42"


def test_a_reloaded_acp_session_carries_on_its_running_total() -> None:
    view = _view(
        (S1, _usage("impl-1", "a", 0.30)),
        (S1, AgentStarted(agent_id="impl-1", role="implementer", backend="acp")),
        (S1, _usage("impl-1", "a", 0.35)),  # session/load of "a": its total includes the 0.30
    )
    session = view.session(S1)
    assert session is not None and session.spent == (Money("USD", 0.35),)


def test_currencies_are_never_added_together() -> None:
    view = _view(
        (S1, _usage("impl-1", "a", 1.10)),
        (S1, _usage("rev-1", "b", 0.20, currency="EUR")),
        (S1, _usage("plan-1", "c", 0.05)),
    )
    session = view.session(S1)
    assert session is not None
    assert session.spent == (Money("USD", pytest.approx(1.15)), Money("EUR", 0.20))
    assert moneys(session.spent) == "$1.15 + €0.20"


def test_context_alone_is_kept_and_a_report_without_cost_keeps_the_cost() -> None:
    view = _view(
        (S1, _usage("impl-1", "a", 0.5, used=1_000, size=200_000)),
        (S1, _usage("impl-1", "a", None, used=41_200)),
    )
    session = view.session(S1)
    assert session is not None
    agent = session.agent("impl-1")
    assert agent is not None
    assert (agent.context_used, agent.context_size) == (41_200, 200_000)
    assert usage_text(agent) == "ctx 41k/200k · $0.50"


def test_amounts_and_token_counts_read_at_a_glance() -> None:
    assert [money(2.61, "USD"), money(0.4, "eur"), money(12, "CHF")] == [
        "$2.61",
        "€0.40",
        "12.00 CHF",
    ]
    assert money(0.001, "USD") == "<$0.01"  # a spend is never shown as nothing
    assert money(0.0, "USD") == "$0.00"
    assert [tokens(n) for n in (950, 4_100, 18_900, 41_200, 1_200_000)] == [
        "950",
        "4.1k",
        "19k",
        "41k",
        "1.2M",
    ]


class Clock:
    """A settable clock for the store's record times."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def utc() -> Iterator[None]:
    """Local time is UTC for the test (midnight is the store's midnight)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def test_the_days_spend_sums_what_each_session_spent_that_day(
    make_store: Callable[..., EventStore], utc: None
) -> None:
    yesterday = 1_795_000_000.0  # 2026-11-18T...; its midnight is the day boundary below
    today = yesterday + 86_400
    clock = Clock(yesterday)
    store = make_store(clock=clock)
    store.append(S1, "impl-1", _usage("impl-1", "a", 0.40))  # all of it yesterday
    store.flush()
    clock.now = today
    store.append(S1, "impl-1", _usage("impl-1", "a", 0.55))  # 0.15 of it today
    store.append(S1, "impl-1", _usage("impl-1", "a", 0.55, used=9))  # no new spend
    store.append(S1, "impl-1", _usage("impl-1", "b", 0.10))  # restarted: a new total
    store.append(S2, "rev-1", _usage("rev-1", "c", 0.20, currency="EUR"))
    store.append(S2, "rev-1", _usage("rev-1", "d", None, used=5))  # no cost: nothing spent
    store.flush()

    spent = day_spend(store.engine, day_start(today))
    assert spent == {"USD": pytest.approx(0.25), "EUR": pytest.approx(0.20)}
    assert list(spent) == ["USD", "EUR"]  # in the order they were first spent that day
    assert day_spend(store.engine, day_start(yesterday)) == {
        "USD": pytest.approx(0.65),
        "EUR": pytest.approx(0.20),
    }
    assert day_spend(store.engine, day_start(today + 86_400)) == {}


def test_day_start_is_local_midnight_as_a_record_time(utc: None) -> None:
    assert day_start(1_795_000_000.0) == "2026-11-18T00:00:00.000000Z"
