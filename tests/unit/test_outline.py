"""The console's first picture from the projections: it says what a fold of the log says about
every session's list row, the approvals queue and the policy; and a session shown is then
folded from its records in chunks into exactly the fold of the log."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

from sessions.readmodel.console_model import ConsoleModel
from sessions.readmodel.outline import outline_of
from sessions.readmodel.reducer import fold
from sessions.readmodel.session_fold import fold_session
from sessions.readmodel.timeline import parse_record, timeline_entry
from sessions.store.change_probe import ChangeProbe
from sessions.store.event_store import EventStore
from sessions.store.overview import read_overview
from sessions.store.reading import iter_log, iter_session
from tests.conftest import StoreFactory
from tests.ui.scenes import S1, S2, working


def _stored(store: EventStore) -> None:
    """The two sessions of the ``working`` scene (a finished one, one waiting on an approval),
    written through the store so that its projections count them."""
    for record in working():
        payload = parse_record(record)
        assert payload is not None
        store.append(record.session_id, record.actor, payload)
    store.flush()


def test_the_outline_says_what_the_fold_says_of_the_list_the_queue_and_the_policy(
    make_store: StoreFactory,
) -> None:
    store = make_store()
    _stored(store)
    folded = fold(iter_log(store.engine))
    seen = read_overview(store.engine)
    outline = outline_of(
        sessions=seen.sessions, pending=seen.pending, policy=seen.policy, last_seq=seen.last_seq
    )
    view = outline.view
    assert [s.session_id for s in view.sessions] == [S2, S1]  # the order they began
    for shown, full in zip(view.sessions, folded.sessions, strict=True):
        assert shown.agents_started == len(full.agents)
        listed = replace(full, agents=(), agents_started=len(full.agents))
        for field in ("title", "state", "workspace", "created_ts", "updated_ts", "pending"):
            assert getattr(shown, field) == getattr(listed, field), field
        assert shown.event_count == full.event_count
    assert view.pending == folded.pending and len(view.pending) == 1
    assert (view.policy, view.running, view.last_seq) == (
        folded.policy,
        folded.running,
        folded.last_seq,
    )
    assert outline.rows == {}  # nothing folded yet


def test_a_session_shown_is_folded_from_its_chunks_into_the_fold_of_the_log(
    make_store: StoreFactory,
) -> None:
    store = make_store()
    _stored(store)
    seen = read_overview(store.engine)
    model = ConsoleModel()
    model.seed(
        outline_of(
            sessions=seen.sessions, pending=seen.pending, policy=seen.policy, last_seq=seen.last_seq
        )
    )
    assert model.begin_load(S1)
    chunks = list(iter_session(store.engine, S1, chunk=3))
    assert [len(c) for c in chunks[:-1]] == [3] * (len(chunks) - 1)
    done = fold_session(S1, chunks)
    assert done is not None
    assert model.adopt(done).folded == (S1,)
    records = list(iter_log(store.engine))
    assert model.view.session(S1) == fold(records).session(S1)
    rows = [e for r in records if r.session_id == S1 and (e := timeline_entry(r)) is not None]
    assert list(model.timeline(S1)) == rows
    assert model.folding(S2) == "outline"  # never shown, never read


def test_the_probe_hears_other_connections_commits_only(
    db_path: Path, make_store: StoreFactory
) -> None:
    store = make_store()
    store.flush()
    probe = ChangeProbe(db_path)
    try:
        assert not probe.changed()
        _stored(store)
        assert probe.changed()
        assert not probe.changed()  # asked again: nothing new since
        conn = sqlite3.connect(db_path)
        conn.execute("SELECT count(*) FROM event").fetchall()  # a read is not a change
        conn.close()
        assert not probe.changed()
    finally:
        probe.close()
