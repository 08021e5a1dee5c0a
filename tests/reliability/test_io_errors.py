"""An OperationalError injected at the Nth statement, N rising: all or nothing, chain holds."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from sessions.errors import StoreError
from sessions.schema import SessionCreated
from sessions.store.engine import open_engine, writer_connection
from sessions.store.event_store import EventStore
from sessions.store.reading import load_session
from sessions.store.verify import verify_chain


class FailingConnection:
    """Wraps the writer's connection; statement number ``fail_at`` (and, if persistent, every
    later one until healed) raises ``disk I/O error``."""

    def __init__(self, inner: sqlite3.Connection, fail_at: int, *, persistent: bool) -> None:
        self._inner = inner
        self.fail_at = fail_at
        self.persistent = persistent
        self.count = 0
        self.healed = False

    def _tick(self, sql: str) -> None:
        self.count += 1
        if self.healed or sql.startswith("ROLLBACK"):
            return
        if self.count == self.fail_at or (self.persistent and self.count > self.fail_at):
            raise sqlite3.OperationalError("disk I/O error")

    def execute(self, sql: str, *args: Any) -> Any:
        self._tick(sql)
        return self._inner.execute(sql, *args)

    def executemany(self, sql: str, rows: Any) -> Any:
        self._tick(sql)
        return self._inner.executemany(sql, rows)

    @property
    def in_transaction(self) -> bool:
        return self._inner.in_transaction

    def close(self) -> None:
        self._inner.close()


@pytest.mark.parametrize("persistent", [False, True])
def test_injected_io_errors_leave_the_log_all_or_nothing(tmp_path: Path, persistent: bool) -> None:
    for fail_at in range(1, 12):
        db = tmp_path / f"io-{persistent}-{fail_at}.db"
        engine = open_engine(db)
        wrapper: list[FailingConnection] = []

        def connect(
            engine: Any = engine, fail_at: int = fail_at, wrapper: list[Any] = wrapper
        ) -> Any:
            conn = FailingConnection(writer_connection(engine), fail_at, persistent=persistent)
            wrapper.append(conn)
            return conn

        store = EventStore(engine, connect=connect)
        # Statements at start look for the search index (and the head); a failure there is
        # retried or leaves this process without the index (a projection), never without the log.
        at_start = wrapper[0].count
        outcomes = []
        for group in range(3):
            items = [
                store.pending_data(
                    f"s{group}", "o", "session.created", data={"title": f"g{group}"}
                ),
                *[
                    store.pending_data(
                        f"s{group}",
                        "a",
                        "agent.message",
                        data={"agent_id": "a", "text": f"{group}.{i}"},
                    )
                    for i in range(4)
                ],
            ]
            try:
                store.append_group(items).result()
                outcomes.append(True)
            except StoreError:
                outcomes.append(False)
        faulted = at_start < fail_at <= wrapper[0].count
        assert not all(outcomes) or not faulted, (fail_at, outcomes)
        for group, committed in enumerate(outcomes):
            present = len(load_session(engine, f"s{group}"))
            assert present == (5 if committed else 0), (fail_at, group, present)
        wrapper[0].healed = True
        record = store.append_sync("after", "o", SessionCreated(title="after the fault"))
        assert record.seq == 1 + 5 * sum(outcomes)
        store.close()
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.close()
        assert verify_chain(engine).ok
        assert load_session(engine, "after")[0].payload == {"title": "after the fault"}
