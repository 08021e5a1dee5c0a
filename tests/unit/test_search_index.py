"""The search index as a projection: which records give which rows, streamed messages, the
flood that is indexed later, the backfill of an older database, and what it never holds."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import Future
from pathlib import Path

import pytest

from app.wiring.store import open_database, open_store
from sessions.schema import (
    AgentMessage,
    AgentThought,
    ApprovalRequested,
    ApprovalResolved,
    EscalationRaised,
    HandoffMade,
    PolicyDecided,
    SessionCreated,
    SessionStateChanged,
    ToolCallRequested,
    ToolIntent,
    ToolResult,
    ValidationFinished,
)
from sessions.schema.session import SessionContext, SessionState
from sessions.store import search_index, search_projection
from sessions.store.engine import open_engine, writer_connection
from sessions.store.event_store import EventStore
from sessions.store.record import Record
from sessions.store.redaction import Redactor
from sessions.store.search import SearchQuery, SearchUnavailableError, search
from sessions.store.search_index import MESSAGE_CAP, OVERLAP, catch_up_step, indexed_seq
from sessions.store.writer import BatchWriter, Group, Pending
from tests.conftest import StoreFactory
from tests.keyring_support import use_plaintext_keyring


def _rows(db: Path) -> dict[int, str]:
    conn = sqlite3.connect(db)
    try:
        return dict(conn.execute("SELECT rowid, body FROM search_text ORDER BY rowid"))
    finally:
        conn.close()


def _watermark(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return indexed_seq(conn)
    finally:
        conn.close()


def _found(store: EventStore, text: str) -> list[int]:
    return [hit.seq for hit in search(store.engine, SearchQuery(text=text))]


def test_each_kind_worth_finding_gives_one_row_of_what_a_user_would_search(
    make_store: StoreFactory, db_path: Path
) -> None:
    store = make_store()
    context = SessionContext(task="Make the CSV export stream", constraints=["no pandas"])
    created = SessionCreated(title="CSV export", workspace="/src/shop", context=context)
    for payload in (
        created,
        SessionStateChanged(from_state=SessionState.CREATED, to_state=SessionState.RUNNING),
        AgentThought(agent_id="impl-1", text="thinking about hidden things"),
        ToolCallRequested(
            agent_id="impl-1",
            call_id="c1",
            tool="execute",
            title="Run the tests",
            command="pytest -q tests/test_export.py",
            paths=["shop/export.py"],
        ),
        PolicyDecided(
            call_id="c1",
            decision="ask",
            rule_id="tests-ask",
            reason="runs code",
            policy_hash="h",
            source="rule",
        ),
        ApprovalRequested(
            approval_id="ap1",
            call_id="c1",
            agent_id="impl-1",
            role="implementer",
            tool="execute",
            summary="run pytest",
            command="pytest -q",
        ),
        ApprovalResolved(approval_id="ap1", outcome="approved_once", decided_by="ann"),
        ToolIntent(call_id="c1", idempotency_key="k", action="execute", argv=["pytest", "-q"]),
        ToolResult(call_id="c1", status="completed", output="tool output is not indexed"),
        ValidationFinished(check="unit", passed=False, command=["pytest"], output="1 failed"),
        HandoffMade(from_role="planner", to_role="implementer", content={"plan": "stream rows"}),
        EscalationRaised(reason="network access denied", rule_id="no-net"),
    ):
        store.append_sync("s1", "impl-1", payload)
    rows = _rows(db_path)
    assert sorted(rows) == [1, 4, 5, 6, 7, 8, 10, 11, 12]  # not 2, 3 or 9
    assert rows[1] == ("CSV export · Make the CSV export stream no pandas · /src/shop")
    assert rows[4] == "Run the tests · pytest -q tests/test_export.py · shop/export.py · execute"
    assert rows[5] == "ask · tests-ask · runs code"
    assert rows[7] == "approved_once · ann"
    assert rows[10] == "unit · failed · pytest · 1 failed"
    assert rows[11] == "handoff · planner → implementer · stream rows"
    assert rows[12] == "escalation · network access denied · no-net"
    assert _watermark(db_path) == 12
    assert _found(store, "hidden") == [] and _found(store, "output") == []


def test_a_message_streamed_in_chunks_is_one_row_so_a_word_split_between_chunks_is_found(
    make_store: StoreFactory, db_path: Path
) -> None:
    store = make_store()
    store.append_sync("s1", "o", SessionCreated(title="t"))
    for piece in ("I will run py", "test on the ca", "lc package", " now."):
        store.append_sync("s1", "impl-1", AgentMessage(agent_id="impl-1", text=piece))  # 1 a batch
    assert _rows(db_path)[2] == "I will run pytest on the calc package now."
    assert _found(store, "pytest") == [2]  # the result opens where the message starts
    assert _found(store, '"the calc package"') == [2]


def test_a_message_ends_when_anything_else_of_its_session_comes_between(
    make_store: StoreFactory, db_path: Path
) -> None:
    store = make_store()
    store.append_sync("s1", "impl-1", AgentMessage(agent_id="impl-1", text="first half"))
    store.append_sync("s2", "other", AgentMessage(agent_id="other", text="elsewhere"))
    store.append_sync("s1", "impl-1", AgentMessage(agent_id="impl-1", text=" still first"))
    store.append_sync(
        "s1", "impl-1", ToolCallRequested(agent_id="impl-1", call_id="c", tool="read")
    )
    store.append_sync("s1", "impl-1", AgentMessage(agent_id="impl-1", text="second"))
    store.append_sync("s1", "rev-1", AgentMessage(agent_id="rev-1", text="third"))
    rows = _rows(db_path)
    assert rows[1] == "first half still first"  # another session's record is not in between
    assert (rows[5], rows[6]) == ("second", "third")


def test_a_long_message_goes_on_in_a_new_row_that_starts_with_the_last_words(
    make_store: StoreFactory, db_path: Path
) -> None:
    store = make_store()
    words = [f"w{i:04d}" for i in range(MESSAGE_CAP // 3)]
    text = " ".join(words)
    for start in range(0, len(text), 37):  # chunks that split words, one a batch
        chunk = text[start : start + 37]
        store.append_sync("s1", "impl-1", AgentMessage(agent_id="impl-1", text=chunk))
    rows = list(_rows(db_path).values())
    assert len(rows) == 3 and all(len(body) <= MESSAGE_CAP + OVERLAP for body in rows)
    assert rows[1].split(" ")[0] in rows[0][-OVERLAP:]  # the seam is covered twice
    for i in range(len(words) - 1):  # every two neighbouring words are found as a phrase
        assert _found(store, f'"{words[i]} {words[i + 1]}"'), (words[i], words[i + 1])


class _Indexed:
    """Told by the writer each time it catches the index up; ``done`` once at ``head``."""

    def __init__(self, db: Path, head: int) -> None:
        self.db, self.head = db, head
        self.done = threading.Event()

    def __call__(self, _events: int) -> None:
        if _watermark(self.db) >= self.head:
            self.done.set()


def _pending(i: int) -> Pending:
    return ("s1", "a", "agent.message", None, f'{{"agent_id":"a","text":"m{i}"}}', "ts", None)


def test_a_flood_commits_without_the_index_and_the_idle_writer_catches_it_up(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_projection, "INLINE_MAX", 3)
    monkeypatch.setattr(search_projection, "STEP_SPAN", 4)
    gate = threading.Lock()
    gate.acquire()  # the writer's catch-up waits until the flood's commit has been looked at
    step = search_projection.SearchProjection.step

    def held_step(self: search_projection.SearchProjection, conn: sqlite3.Connection) -> int:
        with gate:
            return step(self, conn)

    monkeypatch.setattr(search_projection.SearchProjection, "step", held_step)
    engine = open_engine(db_path)
    indexed = _Indexed(db_path, 10)
    writer = BatchWriter(
        lambda: writer_connection(engine),
        on_committed=lambda _records: None,
        on_error=lambda error: pytest.fail(str(error)),
        on_indexed=indexed,
    )
    writer.start()
    done: Future[list[Record]] = Future()
    writer.submit(Group([_pending(i) for i in range(10)], done))
    assert len(done.result(timeout=30)) == 10
    assert _watermark(db_path) == 0 and _rows(db_path) == {}  # committed, not indexed
    gate.release()
    assert indexed.done.wait(30)
    writer.stop()
    assert _rows(db_path) == {1: "m0m1m2m3m4m5m6m7m8m9"}  # one message, built in three steps


def test_a_batch_behind_the_watermark_waits_for_the_catch_up(db_path: Path) -> None:
    store = EventStore(open_engine(db_path), search_index=False)
    first = store.append_sync("s1", "o", SessionCreated(title="indexed later"))
    second = store.append_sync("s1", "o", SessionCreated(title="and this"))
    store.close()
    conn = sqlite3.connect(db_path, isolation_level=None)
    projection = search_projection.SearchProjection.attach(conn, sealing=False)
    assert projection is not None and projection.behind
    projection.behind = False
    conn.execute("BEGIN IMMEDIATE")
    projection.in_batch(conn, [second], head=first.seq)  # the watermark is 0, not 1
    conn.execute("COMMIT")
    assert projection.behind and _rows(db_path) == {}
    assert projection.step(conn) == 2 and not projection.behind
    assert sorted(_rows(db_path)) == [1, 2]
    conn.close()


def _old_database(db: Path, store: EventStore) -> None:
    """Make ``db`` what a Quarterdeck before the index left: no search tables, version 1."""
    store.close()
    conn = sqlite3.connect(db, isolation_level=None)
    for table in ("search_text", "search_state", "search_tail"):
        conn.execute(f"DROP TABLE {table}")
    conn.execute("PRAGMA user_version=1")
    conn.close()


def test_a_database_from_before_the_index_gets_it_on_open_and_filled_in_bounded_steps(
    db_path: Path,
) -> None:
    store = EventStore(open_engine(db_path))
    store.append_sync("s1", "o", SessionCreated(title="Old session about invoices"))
    for i in range(6):
        store.append_sync(
            "s1",
            "impl-1",
            ToolCallRequested(
                agent_id="a", call_id=f"c{i}", tool="execute", command=f"make invoice-{i}"
            ),
        )
    _old_database(db_path, store)
    engine = open_engine(db_path)  # the migration: tables, an empty index at watermark 0
    assert _watermark(db_path) == 0
    conn = sqlite3.connect(db_path, isolation_level=None)
    first = catch_up_step(conn, span=3)
    assert (first.indexed_seq, first.head, first.done) == (3, 7, False)
    assert sorted(_rows(db_path)) == [1, 2, 3]
    again = sqlite3.connect(db_path, isolation_level=None)  # another process, same step
    assert catch_up_step(again, span=3).indexed_seq == 6
    assert catch_up_step(conn, span=3).done
    assert sorted(_rows(db_path)) == list(range(1, 8))  # each once
    hits = search(engine, SearchQuery(text="invoices"))
    assert [h.seq for h in hits] == [1]
    conn.close()
    again.close()


def test_search_itself_catches_up_a_log_written_without_the_index(db_path: Path) -> None:
    store = EventStore(open_engine(db_path), search_index=False)
    store.append_sync("s1", "o", SessionCreated(title="Written unindexed"))
    seen: list[tuple[int, int]] = []
    hits = search(
        store.engine,
        SearchQuery(text="unindexed"),
        progress=lambda p: seen.append((p.indexed_seq, p.head)),
    )
    assert [h.seq for h in hits] == [1] and seen == [(0, 1), (1, 1)]  # before, after a step
    store.close()


def test_a_secret_given_to_the_redactor_is_neither_stored_nor_findable(
    make_store: StoreFactory, db_path: Path
) -> None:
    secret = "hunter2-very-secret-value"
    store = make_store(redact=Redactor([("DEPLOY_TOKEN", secret)]))
    store.append_sync("s1", "o", SessionCreated(title=f"deploy with {secret}"))
    command = f"deploy --token {secret}"
    store.append_sync(
        "s1",
        "impl-1",
        ToolCallRequested(agent_id="a", call_id="c", tool="execute", command=command),
    )
    # Split between two chunks, the secret is masked in neither (each is redacted alone);
    # the row that joins them is redacted again.
    for piece in ("the token is hunter2-very", "-secret-value, keep it"):
        store.append_sync("s1", "impl-1", AgentMessage(agent_id="a", text=piece))
    assert _found(store, "hunter2") == [] and _found(store, f'"{secret}"') == []
    assert sorted(_found(store, "DEPLOY_TOKEN")) == [1, 2, 3]  # the mask is what is indexed
    bodies = " ".join(_rows(db_path).values())
    assert secret not in bodies and bodies.count("[REDACTED:DEPLOY_TOKEN]") == 3
    store.close()
    on_disk = b"".join(p.read_bytes() for p in db_path.parent.glob("q.db*"))
    assert secret.encode() not in on_disk


def test_a_failing_index_never_fails_the_log(
    make_store: StoreFactory, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> int:
        raise sqlite3.OperationalError("disk image is malformed")

    monkeypatch.setattr(search_projection, "index_records", broken)
    store = make_store()
    record = store.append_sync("s1", "o", SessionCreated(title="still logged"))
    assert record.seq == 1
    assert store._writer.search is not None and store._writer.search.failed
    assert _watermark(db_path) == 0 and _rows(db_path) == {}
    store.append_sync("s1", "o", SessionCreated(title="and the next"))
    assert search_index.indexed_seq(sqlite3.connect(db_path)) == 0


def _encrypt_from_now_on(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "config.toml").write_text("[storage]\nencrypt = true\n")


def test_an_encrypted_database_keeps_no_index_and_search_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_plaintext_keyring(tmp_path / "keyring", monkeypatch)
    _encrypt_from_now_on(tmp_path)
    db = tmp_path / "q.db"
    with open_store(db) as store:
        assert store._writer.search is None
        store.append_sync("s1", "o", SessionCreated(title="sealed canary-5b2e"))
        with pytest.raises(SearchUnavailableError, match="encrypted"):
            search(store.engine, SearchQuery(text="canary"))
    assert _rows(db) == {} and _watermark(db) == 0
    with pytest.raises(SearchUnavailableError, match="plaintext"):
        search(open_database(db), SearchQuery(text="canary"))
    assert _rows(db) == {}  # the search did not index it either


def test_turning_encryption_on_empties_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_plaintext_keyring(tmp_path / "keyring", monkeypatch)
    db = tmp_path / "q.db"
    with open_store(db) as store:
        store.append_sync("s1", "o", SessionCreated(title="plaintext canary-8d1f"))
    assert _rows(db) == {1: "plaintext canary-8d1f"}
    _encrypt_from_now_on(tmp_path)
    with open_store(db) as store:
        store.append_sync("s1", "o", SessionCreated(title="sealed later"))
    assert _rows(db) == {} and _watermark(db) == 0
