"""A session folded apart when shown: whatever the order in which its worker reads and the live
records arrive, the console ends with the same session and timeline as one fold of the log."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from sessions.readmodel.console_model import ConsoleModel
from sessions.readmodel.outline import Outline
from sessions.readmodel.reducer import fold
from sessions.readmodel.session_fold import fold_session
from sessions.readmodel.timeline import timeline_entry
from sessions.readmodel.views import ConsoleView
from sessions.store.record import Record
from tests.unit.test_state_properties import record_lists

SID = "s1"


def outline(records: list[Record]) -> Outline:
    """The console after ``records`` as outlines: every session without its agents."""
    view = fold(records)
    sessions = tuple(
        replace(s, agents=(), agents_started=len(s.agents), open_calls=()) for s in view.sessions
    )
    return Outline(view=replace(view, sessions=sessions))


def rows_of(records: list[Record]) -> list[object]:
    return [e for r in records if r.session_id == SID and (e := timeline_entry(r)) is not None]


def chunks(records: list[Record], size: int) -> list[list[Record]]:
    mine = [r for r in records if r.session_id == SID]
    return [mine[i : i + size] for i in range(0, len(mine), size)]


@settings(max_examples=80, deadline=None)
@given(record_lists(), st.data())
def test_a_session_folded_apart_ends_as_one_fold_of_the_log(
    records: list[Record], data: st.DataObject
) -> None:
    n = len(records)
    seed = data.draw(st.integers(0, n), label="the projections' snapshot")
    begin = data.draw(st.integers(seed, n), label="the session shown")
    read = data.draw(st.integers(begin, n), label="what the worker's read saw")
    adopt = data.draw(st.integers(begin, n), label="what the model had when it was done")
    size = data.draw(st.integers(1, 4), label="chunk")
    model = ConsoleModel()
    model.seed(outline(records[:seed]))
    model.add(records[seed:begin])
    model.begin_load(SID)
    model.add(records[begin:adopt])
    done = fold_session(SID, chunks(records[:read], size))
    assert done is not None
    model.adopt(done)
    model.add(records[adopt:])
    expected = fold(records).session(SID)
    if expected is None:  # never in the log: nothing to fold, nothing shown
        return
    assert model.folding(SID) == "folded"
    assert model.view.session(SID) == expected
    assert list(model.timeline(SID)) == rows_of(records)


def test_a_fold_can_start_from_a_snapshot_and_stops_when_asked() -> None:
    records = [r for r in _log() if r.session_id == SID]
    half = len(records) // 2
    snapshot = fold(records[:half])
    resumed = fold_session(SID, [records], start=snapshot)
    assert resumed is not None
    assert resumed.session == fold(records).session(SID)
    assert list(resumed.rows) == rows_of(records)  # rows of the snapshot's part too
    asked: list[int] = []

    def stop() -> bool:  # asked before each chunk: go on once, then stop
        asked.append(1)
        return len(asked) > 1

    assert fold_session(SID, [records[:1], records[1:]], stop=stop) is None
    assert len(asked) == 2


def _log() -> list[Record]:
    from tests.unit.test_state import fixture_records

    return [r._replace(session_id=SID) for r in fixture_records()]


def test_an_outline_folds_live_records_and_is_not_folded_until_adopted() -> None:
    records = _log()
    model = ConsoleModel()
    model.seed(outline(records[:3]))
    assert model.folding(SID) == "outline"
    changes = model.add(records[3:])
    assert SID not in changes.entries  # an outline's rows are built when it is folded
    assert model.timeline(SID) == ()
    session = model.view.session(SID)
    assert session is not None and session.event_count == len(records)
    assert model.begin_load(SID) and not model.begin_load(SID)
    assert model.folding(SID) == "loading"
    model.drop_load(SID)
    assert model.folding(SID) == "outline"
    done = fold_session(SID, [records])
    assert done is not None
    assert model.adopt(done).folded == ()  # no longer asked for: the outline stays
    assert model.folding(SID) == "outline"


def test_sessions_first_seen_live_are_folded_from_their_first_record() -> None:
    model = ConsoleModel()
    model.seed(Outline(view=ConsoleView()))
    records = _log()
    changes = model.add(records)
    assert model.folding(SID) == "folded"
    assert changes.entries[SID] == rows_of(records)
