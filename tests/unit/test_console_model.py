"""The console's accumulator: folding in order, alerts and the alert throttle (what waited,
failed or stalled: tests/unit/test_attention.py)."""

from __future__ import annotations

from sessions.readmodel.console_model import Alert, AlertThrottle, ConsoleModel
from tests.ui.scenes import S1, S2, working


def test_records_already_folded_are_ignored_and_counted_once() -> None:
    records = working()
    model = ConsoleModel()
    first = model.add(records[:10])
    again = model.add(records[:12])  # ten old ones and two new
    assert (first.records, again.records) == (10, 2)
    assert model.last_seq == 12
    rows = [e.seq for sid in (S1, S2) for e in model.timeline(sid)]
    assert len(rows) == len(set(rows))


def test_an_approval_raises_an_alert_but_history_does_not() -> None:
    records = working()
    assert ConsoleModel().add(records, alerts=False).alerts == ()
    alerts = ConsoleModel().add(records).alerts
    assert [(a.kind, a.session_id) for a in alerts] == [("approval", S1)]
    assert alerts[0].text == "implementer asks: Apply the off-by-one fix to calc/stats.py?"


def _approval(n: int) -> Alert:
    return Alert("approval", S1, f"implementer asks: step {n}")


def test_approvals_arriving_together_make_one_alert() -> None:
    shown = AlertThrottle().admit([_approval(1), _approval(2), _approval(3)], now=100.0)
    assert [a.text for a in shown] == ["3 approvals waiting; first: implementer asks: step 1"]


def test_approvals_within_the_quiet_time_are_not_announced_again() -> None:
    throttle = AlertThrottle(quiet_s=8.0)
    assert len(throttle.admit([_approval(1)], now=100.0)) == 1
    assert throttle.admit([_approval(2)], now=107.9) == []
    assert [a.text for a in throttle.admit([_approval(3)], now=108.0)] == [
        "implementer asks: step 3"
    ]


def test_a_failure_is_always_announced() -> None:
    throttle = AlertThrottle()
    throttle.admit([_approval(1)], now=100.0)
    failed = Alert("failed", S2, "session failed: x")
    assert throttle.admit([_approval(2), failed], now=101.0) == [failed]
    assert throttle.admit([failed], now=101.5) == [failed]
