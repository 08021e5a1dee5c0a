"""Packed timeline rows read back equal to the rows that went in, however many names repeat."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from sessions.readmodel.timeline import timeline_entry
from sessions.readmodel.timeline_rows import TimelineRows
from sessions.readmodel.views import TimelineEntry
from sessions.store.record import Record
from tests.unit.test_state_properties import record_lists


@settings(max_examples=60, deadline=None)
@given(record_lists())
def test_rows_read_back_equal_to_the_rows_that_went_in(records: list[Record]) -> None:
    entries = [e for r in records if (e := timeline_entry(r)) is not None]
    entries = [e for e in entries if e.session_id == "s1"]
    rows = TimelineRows("s1", entries)
    assert len(rows) == len(entries)
    assert list(rows) == entries
    assert rows[1:3] == entries[1:3] and rows[::-2] == entries[::-2]
    if entries:
        assert rows[-1] == entries[-1]


def _entry(i: int, **names: str | None) -> TimelineEntry:
    fields: dict[str, object] = {
        "seq": i,
        "ts": f"2026-11-24T09:{i // 60 % 60:02d}:{i % 60:02d}.{i:06d}Z",
        "session_id": "s1",
        "actor": "orchestrator",
        "kind": "tool.requested",
        "summary": f"grep -rn 'def render' src/part{i} · é ⏎",
        "category": "tool",
    }
    fields.update(names)
    return TimelineEntry(**fields)  # type: ignore[arg-type]


def test_more_names_than_sixteen_bits_widen_the_arrays() -> None:
    entries = [_entry(i, rule_id=f"rule-{i}", agent_id=None, decision="ask") for i in range(70_000)]
    rows = TimelineRows("s1", entries)
    assert rows[65_600] == entries[65_600] and rows[0] == entries[0]
    assert rows[-1] == entries[-1]
    assert rows == TimelineRows("s1", entries)
    with pytest.raises(IndexError):
        rows[70_000]


def test_odd_times_and_empty_names_survive() -> None:
    entries = [_entry(1, ts=""), _entry(2, ts="yesterday"), _entry(3, actor="", decided_by="")]
    assert list(TimelineRows("s1", entries)) == entries
