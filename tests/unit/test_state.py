"""The reducer's tables: what each kind does to the console's view models."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from sessions.readmodel.reducer import fold, reduce, timeline_entry
from sessions.readmodel.views import (
    ACTIVITY_BUCKETS,
    OUTPUT_LINE_CHARS,
    OUTPUT_TAIL_LINES,
    AgentState,
    AgentView,
    CheckpointRef,
    SessionView,
)
from sessions.schema.base import SYSTEM_SESSION
from sessions.schema.session import SessionState
from sessions.store.record import Record

FIXTURE = Path(__file__).parents[1] / "fixtures" / "session-basic.jsonl"
SID = "s1"
BASE = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def rec(
    seq: int,
    kind: str,
    payload: dict[str, Any],
    *,
    session: str = SID,
    actor: str = "orchestrator",
    second: float | None = None,
) -> Record:
    """A record as the store would publish it; hashes are placeholders (the reducer ignores them)."""
    at = BASE + timedelta(seconds=seq / 2 if second is None else second)
    ts = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode()
    return Record(seq, session, seq, ts, actor, kind, 1, body, "0" * 64, "0" * 64)


def numbered(items: list[tuple[str, dict[str, Any]]], start: int = 1) -> list[Record]:
    """Records for ``(kind, payload)`` pairs, numbered from ``start``."""
    return [rec(start + i, kind, payload) for i, (kind, payload) in enumerate(items)]


def fixture_records() -> Iterator[Record]:
    """The fixture session, parsed the way an import reads it."""
    for line in FIXTURE.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        body = orjson.dumps(d["payload"], option=orjson.OPT_SORT_KEYS).decode()
        yield Record(
            d["seq"],
            d["session_id"],
            d["session_seq"],
            d["ts"],
            d["actor"],
            d["kind"],
            d["schema_version"],
            body,
            d["prev_hash"],
            d["hash"],
        )


START = [
    ("session.created", {"title": "T", "workspace": "/ws", "team": "default"}),
    ("session.state_changed", {"from_state": "created", "to_state": "running"}),
    ("agent.started", {"agent_id": "impl-1", "role": "implementer", "backend": "demo"}),
]
ASK = (
    "tool.requested",
    {"agent_id": "impl-1", "call_id": "c1", "tool": "execute", "command": "ls"},
)
APPROVAL = {
    "approval_id": "ap1",
    "call_id": "c1",
    "agent_id": "impl-1",
    "role": "implementer",
    "tool": "execute",
    "summary": "ls",
    "command": "ls",
    "risk": "high",
    "rule_id": "r9",
}


def agent_after(*steps: tuple[str, dict[str, Any]]) -> AgentView:
    """The agent ``impl-1`` after the standard start and then ``steps``."""
    session = fold(numbered([*START, *steps])).session(SID)
    assert session is not None
    agent = session.agent("impl-1")
    assert agent is not None
    return agent


@pytest.mark.parametrize(
    ("steps", "state", "tool"),
    [
        ([], AgentState.IDLE, None),
        ([("agent.message", {"agent_id": "impl-1", "text": "hi"})], AgentState.THINKING, None),
        ([("agent.thought", {"agent_id": "impl-1", "text": "hm"})], AgentState.THINKING, None),
        ([("agent.plan", {"agent_id": "impl-1", "entries": []})], AgentState.THINKING, None),
        ([ASK], AgentState.RUNNING_TOOL, "execute ls"),
        ([(ASK[0], {**ASK[1], "announced": True})], AgentState.IDLE, None),
        (
            [ASK, ("tool.result", {"call_id": "c1", "status": "completed"})],
            AgentState.THINKING,
            None,
        ),
        ([ASK, ("approval.requested", APPROVAL)], AgentState.AWAITING_APPROVAL, "execute ls"),
        (
            [
                ASK,
                ("approval.requested", APPROVAL),
                ("approval.resolved", {"approval_id": "ap1", "outcome": "approved_once"}),
            ],
            AgentState.RUNNING_TOOL,
            "execute ls",
        ),
        (
            [ASK, ("tool.intent", {"call_id": "c1", "idempotency_key": "k", "action": "execute"})],
            AgentState.RUNNING_TOOL,
            "execute ls",
        ),
        (
            [
                (
                    "retry.scheduled",
                    {"operation": "implementer turn", "attempt": 2, "delay_s": 1, "error": "boom"},
                )
            ],
            AgentState.RETRYING,
            None,
        ),
        (
            [
                (
                    "retry.scheduled",
                    {"operation": "acp.start", "attempt": 2, "delay_s": 1, "error": "x"},
                )
            ],
            AgentState.IDLE,
            None,
        ),
        ([("agent.failed", {"agent_id": "impl-1", "error": "died"})], AgentState.FAILED, None),
        (
            [("agent.stopped", {"agent_id": "impl-1", "stop_reason": "stopped"})],
            AgentState.DONE,
            None,
        ),
        ([("agent.stopped", {"agent_id": "impl-1"})], AgentState.IDLE, None),
        ([ASK, ("session.finished", {"outcome": "succeeded"})], AgentState.DONE, None),
        (
            [
                ("agent.failed", {"agent_id": "impl-1", "error": "x"}),
                ("session.finished", {"outcome": "failed"}),
            ],
            AgentState.FAILED,
            None,
        ),
        (
            [("memory.set", {"key": "k", "value_sha256": "0" * 64, "size_bytes": 1})],
            AgentState.IDLE,
            None,
        ),
        (
            [("agent.failed", {"agent_id": "impl-1", "error": "log in", "login_required": True})],
            AgentState.NEEDS_LOGIN,
            None,
        ),
        (  # stopping an agent that needs a login (or failed) leaves it so, to the end
            [
                ("agent.failed", {"agent_id": "impl-1", "error": "log in", "login_required": True}),
                ("agent.stopped", {"agent_id": "impl-1", "stop_reason": "stopped"}),
                ("session.finished", {"outcome": "failed"}),
            ],
            AgentState.NEEDS_LOGIN,
            None,
        ),
        (
            [
                ("agent.failed", {"agent_id": "impl-1", "error": "x"}),
                ("agent.stopped", {"agent_id": "impl-1", "stop_reason": "stopped"}),
            ],
            AgentState.FAILED,
            None,
        ),
        (  # reloaded history is not new work
            [
                (
                    "agent.history_replayed",
                    {"agent_id": "impl-1", "acp_session_id": "s", "frames": [{"x": 1}]},
                )
            ],
            AgentState.IDLE,
            None,
        ),
        ([("some.future_kind", {"agent_id": "impl-1"})], AgentState.IDLE, None),
    ],
)
def test_agent_state_rules(
    steps: list[tuple[str, dict[str, Any]]], state: AgentState, tool: str | None
) -> None:
    agent = agent_after(*steps)
    assert (agent.state, agent.current_tool) == (state, tool)


def test_failure_and_retry_counters_keep_the_error() -> None:
    retry = {"operation": "implementer turn", "attempt": 2, "delay_s": 1.0, "error": "timeout"}
    agent = agent_after(("retry.scheduled", retry), ("retry.scheduled", retry))
    assert (agent.retries, agent.last_error) == (2, "timeout")
    failed = agent_after(("agent.failed", {"agent_id": "impl-1", "error": "exit 3"}))
    assert failed.last_error == "exit 3"


def test_drift_flags_the_agent_and_its_session_and_the_sandbox_is_shown() -> None:
    started = {
        "agent_id": "impl-1",
        "role": "implementer",
        "backend": "acp",
        "sandbox": {"kind": "bwrap", "network": "off"},
    }
    assert agent_after(("agent.started", started)).sandbox == "bwrap"
    assert agent_after().sandbox == "" and agent_after().drifted == 0
    drift = {
        "agent_id": "impl-1",
        "turn": 2,
        "files": [{"status": "added", "path": "x"}, {"status": "deleted", "path": "y"}],
        "total": 2,
    }
    assert (
        agent_after(("workspace.drift", drift), ("agent.stopped", {"agent_id": "impl-1"})).drifted
        == 2
    )
    session = fold(
        numbered([*START, ("workspace.drift", drift), ("workspace.drift", drift)])
    ).session(SID)
    assert session is not None and session.drifted == 4
    entry = timeline_entry(rec(9, "workspace.drift", drift))
    assert entry is not None and entry.category == "escalation"
    assert (
        entry.summary.startswith("DRIFT impl-1 turn 2: 2 file(s)") and "x (added)" in entry.summary
    )


def test_attempts_follow_handoffs_to_the_role() -> None:
    handoff = {"from_role": "implementer", "to_role": "implementer", "attempt": 3}
    agent = agent_after(("handoff", handoff))
    assert agent.attempts == 3
    session = fold(numbered([*START, ("handoff", handoff)])).session(SID)
    assert session is not None and session.attempt == 3


def test_output_tail_joins_chunks_and_keeps_the_last_lines() -> None:
    chunks = [
        ("agent.message", {"agent_id": "impl-1", "text": t}) for t in ("Hel", "lo\nwor", "ld\n")
    ]
    assert agent_after(*chunks).output_tail == ("Hello", "world")
    output = [("tool.output", {"call_id": "c1", "text": f"line {i}\n"}) for i in range(50)]
    tail = agent_after(ASK, *output).output_tail
    assert len(tail) == OUTPUT_TAIL_LINES and tail[-1] == "line 49"


def test_a_line_streamed_without_newlines_keeps_its_newest_text() -> None:
    chunks = [("agent.message", {"agent_id": "impl-1", "text": f"<{i}>"}) for i in range(3000)]
    (line,) = agent_after(*chunks).output_tail
    assert len(line) == OUTPUT_LINE_CHARS
    assert line.startswith("…") and line.endswith("<2998><2999>")
    done = agent_after(*chunks, ("agent.message", {"agent_id": "impl-1", "text": "!\nnext"}))
    assert done.output_tail[-2].endswith("<2999>!") and done.output_tail[-1] == "next"


def test_activity_counts_records_per_bucket_and_slides() -> None:
    records = numbered(START)
    records += [
        rec(4 + i, "agent.thought", {"agent_id": "impl-1", "text": "."}, second=100)
        for i in range(3)
    ]
    records.append(rec(7, "agent.thought", {"agent_id": "impl-1", "text": "."}, second=104))
    session = fold(records).session(SID)
    assert session is not None
    agent = session.agent("impl-1")
    assert agent is not None
    assert len(agent.activity) == ACTIVITY_BUCKETS
    assert agent.activity[-3:] == (3, 0, 1)


def test_pending_approvals_are_queued_oldest_first_across_sessions() -> None:
    records = [
        rec(1, "approval.requested", {**APPROVAL, "approval_id": "a"}, session="x"),
        rec(2, "approval.requested", {**APPROVAL, "approval_id": "b"}, session="y"),
        rec(3, "approval.requested", {**APPROVAL, "approval_id": "c"}, session="x"),
    ]
    view = fold(records)
    assert [p.approval_id for p in view.pending] == ["a", "b", "c"]
    first = view.pending[0]
    assert (first.risk, first.command, first.rule_id, first.role) == (
        "high",
        "ls",
        "r9",
        "implementer",
    )
    view = reduce(
        view, rec(4, "approval.resolved", {"approval_id": "a", "outcome": "denied"}, session="x")
    )
    assert [p.approval_id for p in view.pending] == ["b", "c"]
    view = reduce(view, rec(5, "session.finished", {"outcome": "cancelled"}, session="y"))
    assert [p.approval_id for p in view.pending] == ["c"]


def test_session_header_checkpoint_rollback_and_escalations() -> None:
    view = fold(
        numbered(
            [
                *START,
                ("checkpoint", {"checkpoint_id": "cp1", "at_seq": 3, "known_good": True}),
                ("checkpoint", {"checkpoint_id": "cp2", "at_seq": 4}),
                ("rollback", {"to_seq": 3, "checkpoint_id": "cp1", "safety_checkpoint_id": "cp3"}),
                ("escalation.raised", {"reason": "stuck"}),
            ]
        )
    )
    session = view.session(SID)
    assert session is not None
    assert (session.title, session.workspace, session.team) == ("T", "/ws", "default")
    assert session.state is SessionState.RUNNING and view.running == 1
    assert session.last_checkpoint is not None
    assert session.last_checkpoint == CheckpointRef("cp1", 3, known_good=True)
    assert session.last_known_good == session.last_checkpoint
    assert session.escalations == 1 and session.event_count == 7


def test_terminal_states_are_never_left() -> None:
    view = fold(
        numbered(
            [
                *START,
                ("session.finished", {"outcome": "failed"}),
                ("session.state_changed", {"from_state": "failed", "to_state": "running"}),
            ]
        )
    )
    session = view.session(SID)
    assert session is not None
    assert (session.state, session.finished_outcome, view.running) == (
        SessionState.FAILED,
        SessionState.FAILED,
        0,
    )


def test_the_system_session_feeds_the_policy_status_not_a_session() -> None:
    view = fold(
        [
            rec(
                1,
                "policy.reloaded",
                {"policy_hash": "h1", "rules": 4, "path": "/p"},
                session=SYSTEM_SESSION,
            ),
            rec(
                2,
                "policy.rejected",
                {"errors": ["bad rule"], "kept_hash": "h1"},
                session=SYSTEM_SESSION,
            ),
        ]
    )
    assert view.sessions == ()
    assert (view.policy.hash, view.policy.rules, view.policy.last_result, view.policy.errors) == (
        "h1",
        4,
        "rejected",
        ("bad rule",),
    )


def test_raw_unknown_and_invalid_records_only_count() -> None:
    records = numbered(START)
    records += [
        rec(4, "raw", {"source": "acp", "data": {"x": 1}}, actor="impl-1", second=1.5),
        rec(5, "future.kind", {}, actor="impl-1", second=1.5),
        rec(6, "agent.message", {"agent_id": "impl-1"}, second=1.5),  # invalid: no text
    ]
    session = fold(records).session(SID)
    assert session is not None and session.event_count == 6
    agent, before = session.agents[0], agent_after()
    # the raw frame and the unknown kind were the agent's; the invalid payload names no one
    assert sum(agent.activity) == sum(before.activity) + 2
    assert dataclasses.replace(agent, activity=before.activity) == before


def test_a_record_folded_twice_changes_nothing() -> None:
    records = numbered(START)
    view = fold(records)
    assert fold(records, view) == view


def test_the_fixture_session_folds_to_a_finished_view() -> None:
    records = list(fixture_records())
    view = fold(records)
    assert len(view.sessions) == 1 and view.pending == () and view.running == 0
    session: SessionView = view.sessions[0]
    assert session.title == "Add --version" and session.state is SessionState.SUCCEEDED
    assert [(a.agent_id, a.role, a.state) for a in session.agents] == [
        ("planner-1", "planner", AgentState.DONE),
        ("implementer-1", "implementer", AgentState.DONE),
    ]
    assert session.last_checkpoint is not None and session.last_checkpoint.known_good
    assert session.event_count == len(records)
    assert view.policy.hash == "a" * 64
    entries = [timeline_entry(r) for r in records]
    assert [e.category if e else None for e in entries] == [
        "state",
        "state",
        "state",
        "message",
        "handoff",
        None,
        "tool",
        "decision",
        "approval",
        "approval",
        "tool",
        "tool",
        "validation",
        "checkpoint",
        None,
        "state",
    ]
    resolved = entries[9]
    assert resolved is not None and (resolved.decision, resolved.decided_by) == (
        "approved_once",
        "alice",
    )


def test_timeline_entries_carry_decision_rule_and_agent() -> None:
    decided = rec(
        1,
        "policy.decided",
        {
            "call_id": "c1",
            "decision": "deny",
            "rule_id": "no-rm",
            "policy_hash": "h",
            "source": "rule",
        },
    )
    entry = timeline_entry(decided)
    assert entry is not None
    assert (entry.category, entry.decision, entry.rule_id) == ("decision", "deny", "no-rm")
    failed = timeline_entry(rec(2, "agent.failed", {"agent_id": "a1", "error": "x"}))
    assert failed is not None and (failed.category, failed.agent_id) == ("error", "a1")
    assert timeline_entry(rec(3, "agent.message", {"agent_id": "a1", "text": "x"})) is None
    odd = timeline_entry(rec(4, "future.kind", {"a": 1}))
    assert odd is not None and odd.category == "other"


def test_reduce_leaves_its_input_unchanged() -> None:
    before = fold(numbered([*START, ASK]))
    copy = dataclasses.replace(before)
    after = reduce(before, rec(10, "approval.requested", APPROVAL))
    assert before == copy and after != before
