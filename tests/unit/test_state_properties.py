"""Properties of the fold: step by step, in halves, pure, and at scale."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sessions.readmodel.reducer import Folder, fold, reduce
from sessions.readmodel.views import ConsoleView
from sessions.store.record import Record
from tests.unit.test_state import rec

AGENTS = ["planner-1", "impl-1", "validator-1"]
CALLS = ["c1", "c2"]
agent_id = st.sampled_from(AGENTS)
call_id = st.sampled_from(CALLS)

PAYLOADS: list[tuple[str, st.SearchStrategy[dict[str, Any]]]] = [
    ("session.created", st.fixed_dictionaries({"title": st.text(max_size=5)})),
    (
        "session.state_changed",
        st.fixed_dictionaries(
            {
                "from_state": st.just("created"),
                "to_state": st.sampled_from(
                    ["running", "paused", "awaiting_approval", "succeeded"]
                ),
            }
        ),
    ),
    (
        "session.finished",
        st.fixed_dictionaries({"outcome": st.sampled_from(["succeeded", "failed"])}),
    ),
    (
        "agent.started",
        st.fixed_dictionaries(
            {
                "agent_id": agent_id,
                "role": st.sampled_from(["planner", "implementer"]),
                "backend": st.just("demo"),
            }
        ),
    ),
    ("agent.message", st.fixed_dictionaries({"agent_id": agent_id, "text": st.text(max_size=8)})),
    (
        "agent.stopped",
        st.fixed_dictionaries(
            {
                "agent_id": agent_id,
                "stop_reason": st.sampled_from(["end_turn", "stopped"]),
            }
        ),
    ),
    ("agent.failed", st.fixed_dictionaries({"agent_id": agent_id, "error": st.just("x")})),
    (
        "tool.requested",
        st.fixed_dictionaries(
            {
                "agent_id": agent_id,
                "call_id": call_id,
                "tool": st.just("execute"),
            }
        ),
    ),
    ("tool.output", st.fixed_dictionaries({"call_id": call_id, "text": st.text(max_size=8)})),
    ("tool.result", st.fixed_dictionaries({"call_id": call_id, "status": st.just("completed")})),
    (
        "approval.requested",
        st.fixed_dictionaries(
            {
                "approval_id": st.sampled_from(["a1", "a2"]),
                "call_id": call_id,
                "agent_id": agent_id,
                "role": st.just("implementer"),
                "tool": st.just("execute"),
                "summary": st.just("s"),
            }
        ),
    ),
    (
        "approval.resolved",
        st.fixed_dictionaries(
            {
                "approval_id": st.sampled_from(["a1", "a2"]),
                "outcome": st.just("approved_once"),
            }
        ),
    ),
    (
        "handoff",
        st.fixed_dictionaries(
            {
                "from_role": st.just("orchestrator"),
                "to_role": st.just("implementer"),
                "attempt": st.integers(1, 3),
            }
        ),
    ),
    (
        "retry.scheduled",
        st.fixed_dictionaries(
            {
                "operation": st.just("implementer turn"),
                "attempt": st.just(2),
                "delay_s": st.just(0.5),
                "error": st.just("e"),
            }
        ),
    ),
    ("checkpoint", st.fixed_dictionaries({"checkpoint_id": st.just("cp"), "at_seq": st.just(1)})),
    ("raw", st.fixed_dictionaries({"source": st.just("acp")})),
    ("policy.reloaded", st.fixed_dictionaries({"policy_hash": st.just("h"), "rules": st.just(1)})),
]


@st.composite
def record_lists(draw: st.DrawFn) -> list[Record]:
    """A plausible log: kinds and payloads from the table, sessions interleaved, times rising."""
    size = draw(st.integers(0, 40))
    out: list[Record] = []
    second = 0.0
    for seq in range(1, size + 1):
        kind, payloads = draw(st.sampled_from(PAYLOADS))
        session = draw(st.sampled_from(["s1", "s2", "_system"]))
        second += draw(st.sampled_from([0.0, 0.5, 3.0, 90.0]))
        out.append(rec(seq, kind, draw(payloads), session=session, second=second))
    return out


@settings(max_examples=60, deadline=None)
@given(record_lists())
def test_fold_equals_reducing_step_by_step(records: list[Record]) -> None:
    state = ConsoleView()
    for record in records:
        state = reduce(state, record)
    assert fold(records) == state


@settings(max_examples=60, deadline=None)
@given(record_lists(), st.data())
def test_folding_in_two_halves_equals_folding_at_once(
    records: list[Record], data: st.DataObject
) -> None:
    cut = data.draw(st.integers(0, len(records)))
    assert fold(records[cut:], fold(records[:cut])) == fold(records)


@settings(max_examples=60, deadline=None)
@given(record_lists())
def test_reduce_never_changes_its_input(records: list[Record]) -> None:
    state = fold(records[:-1])
    snapshot = fold(records[:-1])
    for record in records[-1:]:
        reduce(state, record)
    assert state == snapshot


@settings(max_examples=60, deadline=None)
@given(record_lists(), st.data())
def test_a_folder_s_views_are_the_fold_so_far_and_never_change_afterwards(
    records: list[Record], data: st.DataObject
) -> None:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(records)), max_size=4)))
    folder = Folder()
    taken: list[tuple[int, ConsoleView]] = []
    for i, record in enumerate(records):
        if i in cuts:
            taken.append((i, folder.view()))
            folder.session(record.session_id)  # a peek mid-batch, as alerts do
        folder.add(record)
    assert folder.view() == fold(records)
    assert folder.view() is folder.view()  # nothing folded since: the same value
    for cut, view in taken:
        assert view == fold(records[:cut])


def test_ten_thousand_records_fold() -> None:
    kinds: list[tuple[str, dict[str, Any]]] = [
        ("agent.message", {"agent_id": "impl-1", "text": "chunk\n"}),
        ("tool.requested", {"agent_id": "impl-1", "call_id": "c", "tool": "execute"}),
        ("tool.output", {"call_id": "c", "text": "out\n"}),
        ("tool.result", {"call_id": "c", "status": "completed"}),
        ("raw", {"source": "acp"}),
    ]
    records = [rec(1, "session.created", {"title": "big"})]
    for seq in range(2, 10_001):
        kind, payload = kinds[seq % len(kinds)]
        records.append(rec(seq, kind, payload, second=seq / 10))
    view = fold(records)
    session = view.session("s1")
    assert session is not None and session.event_count == 10_000
    assert len(session.agents) == 1 and session.open_calls == ()
