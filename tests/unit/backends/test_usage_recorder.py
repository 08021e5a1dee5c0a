"""An agent's usage_update notifications become agent.usage events only when they tell
something new; the budget hears every one."""

from __future__ import annotations

from typing import Any

from agents.backends.usage import UsageRecorder, usage_of
from sessions.schema.agent import AgentUsage


def _update(used: int, *, size: int = 200_000, cost: float | None = None) -> dict[str, Any]:
    update: dict[str, Any] = {"sessionUpdate": "usage_update", "used": used, "size": size}
    if cost is not None:
        update["cost"] = {"amount": cost, "currency": "USD"}
    return update


def _recorder() -> tuple[UsageRecorder, list[AgentUsage], list[AgentUsage]]:
    emitted: list[AgentUsage] = []
    heard: list[AgentUsage] = []
    return UsageRecorder("impl-1", emitted.append, heard=heard.append), emitted, heard


def test_a_stream_of_small_context_moves_is_one_event_and_the_last_at_the_turns_end() -> None:
    recorder, emitted, heard = _recorder()
    for used in range(10_000, 11_500, 100):  # 15 reports, each well under 1% of the window
        recorder.update("a", _update(used))
    assert [u.used for u in emitted] == [10_000]
    assert len(heard) == 15  # the budget hears every report as it comes
    recorder.flush()
    assert [u.used for u in emitted] == [10_000, 11_400]
    recorder.flush()  # nothing held back any more
    assert len(emitted) == 2


def test_a_cost_change_is_recorded_at_once() -> None:
    recorder, emitted, _ = _recorder()
    recorder.update("a", _update(10_000, cost=0.10))
    recorder.update("a", _update(10_050, cost=0.11))
    assert [u.cost for u in emitted] == [0.10, 0.11]


def test_a_hundredth_of_the_window_is_worth_recording() -> None:
    recorder, emitted, _ = _recorder()
    recorder.update("a", _update(10_000))
    recorder.update("a", _update(11_999))
    recorder.update("a", _update(12_000))
    assert [u.used for u in emitted] == [10_000, 12_000]


def test_the_same_report_again_is_not_recorded_even_at_the_turns_end() -> None:
    recorder, emitted, _ = _recorder()
    recorder.update("a", _update(10_000, cost=0.1))
    recorder.update("a", _update(10_000, cost=0.1))
    recorder.flush()
    assert len(emitted) == 1


def test_a_new_acp_session_is_recorded_at_once() -> None:
    recorder, emitted, _ = _recorder()
    recorder.update("a", _update(10_000, cost=0.3))
    recorder.update("b", _update(10_000, cost=0.3))
    assert [u.acp_session_id for u in emitted] == ["a", "b"]


def test_fields_an_agent_leaves_out_or_gets_wrong_are_none() -> None:
    usage = usage_of("impl-1", "a", {"used": -1, "size": True, "cost": {"amount": "x"}})
    assert (usage.used, usage.size, usage.cost, usage.currency) == (None, None, None, None)
    usage = usage_of("impl-1", None, {"cost": {"amount": 2, "currency": "EUR"}})
    assert (usage.cost, usage.currency, usage.used) == (2.0, "EUR", None)
