"""What deserves a notification (sessions/readmodel/attention.py): approvals that waited, failed
sessions, stalled ones; each told once; each condition can be turned off. The clock is a number
passed in, so no test waits."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sessions.lifecycle import SessionState
from sessions.readmodel.attention import Rules, Watch, due
from sessions.readmodel.console_model import ConsoleModel
from sessions.readmodel.views import ConsoleView
from sessions.store.record import Record
from tests.ui.scenes import S1, START, needs_login, working


def _view(records: list[Record]) -> ConsoleView:
    model = ConsoleModel()
    model.add(records)
    return model.view


def _ts(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


BEFORE = START.timestamp() - 1
"""A console opened before any scene's first event."""


def test_an_approval_is_told_once_when_it_has_waited_long_enough() -> None:
    view = _view(working())
    asked = _ts(view.pending[0].requested_ts)
    watch = Watch(Rules(approval_after_s=60, stall_after_s=None), since=BEFORE)
    assert watch.check(view, asked + 59.9) == []
    [notice] = watch.check(view, asked + 60)
    assert (notice.kind, notice.session_id, notice.key) == ("approval", S1, "approval:appr-0001")
    assert notice.text.startswith(
        "Fix the failing moving_average test: implementer has waited 1 min"
    )
    assert watch.check(view, asked + 61) == []
    assert watch.check(view, asked + 3600) == []


def test_an_approval_after_zero_seconds_is_told_at_once_and_none_turns_it_off() -> None:
    view = _view(working())
    asked = _ts(view.pending[0].requested_ts)
    assert [n.kind for n in due(view, asked, Rules(approval_after_s=0), since=BEFORE)] == [
        "approval"
    ]
    off = Rules(approval_after_s=None, stall_after_s=None)
    assert due(view, asked + 10_000, off, since=BEFORE) == []


def test_a_failure_is_told_once_unless_it_happened_before_the_console_opened() -> None:
    view = _view(needs_login())
    failed_at = _ts(view.sessions[0].updated_ts)
    watch = Watch(Rules(), since=BEFORE)
    [notice] = watch.check(view, failed_at + 1)
    assert (notice.kind, notice.key, notice.text) == (
        "failed",
        f"failed:{S1}",
        "Fix the failing moving_average test failed",
    )
    assert watch.check(view, failed_at + 2) == []
    assert Watch(Rules(), since=failed_at + 0.5).check(view, failed_at + 1) == []  # history
    assert Watch(Rules(on_failure=False), since=BEFORE).check(view, failed_at + 1) == []


def test_a_running_session_without_events_is_told_stalled_once_per_stall() -> None:
    view = _view(working(with_approval=False))
    [s2, s1] = view.sessions
    assert s2.state is SessionState.SUCCEEDED and s1.state is SessionState.RUNNING
    last = _ts(s1.updated_ts)
    watch = Watch(Rules(stall_after_s=300), since=BEFORE)
    assert watch.check(view, last + 299) == []
    [notice] = watch.check(view, last + 300)
    assert (notice.kind, notice.session_id, notice.text) == (
        "stalled",
        S1,
        "Fix the failing moving_average test: no event for 5 min",
    )
    assert watch.check(view, last + 900) == []
    # It moved (a new event), then stalled again: that is news again.
    moved = replace(s1, updated_ts=datetime.fromtimestamp(last + 1000, START.tzinfo).isoformat())
    again = replace(view, sessions=(s2, moved))
    assert watch.check(again, last + 1200) == []
    assert [n.kind for n in watch.check(again, last + 1300)] == ["stalled"]


def test_waiting_paused_or_interrupted_sessions_are_not_stalled() -> None:
    rules = Rules(approval_after_s=None, stall_after_s=30)
    waiting = _view(working())  # S1 waits for a human: that is not a stall
    assert due(waiting, _ts(waiting.sessions[1].updated_ts) + 3600, rules, since=BEFORE) == []
    view = _view(working(with_approval=False))
    s2, s1 = view.sessions
    late = _ts(s1.updated_ts) + 3600
    paused = replace(view, sessions=(s2, replace(s1, state=SessionState.PAUSED)))
    assert due(paused, late, rules, since=BEFORE) == []
    assert due(view, late, rules, since=BEFORE, interrupted=frozenset({S1})) == []
    assert [n.kind for n in due(view, late, rules, since=BEFORE)] == ["stalled"]


def test_nobody_is_told_about_the_approvals_of_an_interrupted_session() -> None:
    view = _view(working())
    late = _ts(view.pending[0].requested_ts) + 3600
    assert due(view, late, Rules(), since=BEFORE, interrupted=frozenset({S1})) == []
    assert [n.kind for n in due(view, late, Rules(), since=BEFORE)] == ["approval"]
