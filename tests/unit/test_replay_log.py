"""ReplayLog: every position is the fold of the records before it, with its timeline rows."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessions.readmodel.reducer import fold
from sessions.readmodel.replay import ReplayLog
from sessions.readmodel.timeline import timeline_entry
from sessions.store.record import Record
from tests.unit.test_state import fixture_records
from tests.unit.test_state_properties import record_lists


def eager_rows(records: list[Record]) -> list[object]:
    """The timeline rows of ``records``, built one by one as the live console does."""
    return [e for r in records if (e := timeline_entry(r)) is not None]


@settings(max_examples=40, deadline=None)
@given(record_lists(), st.integers(1, 5), st.data())
def test_every_position_is_the_fold_of_the_records_before_it(
    records: list[Record], every: int, data: st.DataObject
) -> None:
    log = ReplayLog("s1", records, every=every).build()
    position = data.draw(st.integers(0, len(records)))
    assert log.view_at(position) == fold(records[:position])
    assert list(log.entries_until(position)) == eager_rows(records[:position])
    assert log.view_at(len(records)) is log.final


def test_rows_are_built_when_read_and_shared_between_positions() -> None:
    records = list(fixture_records())
    log = ReplayLog(records[0].session_id, records, every=4).build()
    rows = log.entries
    assert len(rows) == len(eager_rows(records))
    assert rows[-1] == eager_rows(records)[-1] and rows[-1] is rows[len(rows) - 1]
    assert rows[1:3] == eager_rows(records)[1:3]
    early = log.entries_until(5)
    assert len(early) == len(eager_rows(records[:5]))
    assert early[0] is rows[0]  # one row object, whichever view read it first
    with pytest.raises(IndexError):
        early[len(early)]


def test_progress_reaches_the_total() -> None:
    records = list(fixture_records())
    seen: list[tuple[int, int]] = []
    ReplayLog(records[0].session_id, records, every=1).build(lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, len(records)) and seen[-1] == (len(records), len(records))
