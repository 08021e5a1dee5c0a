"""What the console opens: a database (and the runtime that drives sessions in it), or a fixed
list of records (snapshot tests, benchmarks). Runs on a worker thread after the first paint."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agents.approvals.on_ask import OnAsk
    from agents.supervisor.actions import Supervisor
    from agents.team import Team
    from app.bridge import LogSource
    from app.wiring.runtime import Runtime
    from sessions.readmodel.replay import ReplayData
    from sessions.store.record import Record
    from sessions.store.search import SearchHit, SearchQuery

Run = tuple[str, "Team", Path]
"""A session to start: the task, the team, the workspace."""


@dataclass(kw_only=True)
class Opened:
    """A console's connection to the core."""

    source: LogSource
    supervisor: Supervisor | None = None
    runtime: Runtime | None = None
    runs: Sequence[Run] = ()
    problems: list[str] = field(default_factory=list)
    """What went wrong while opening (an invalid policy), to be shown."""

    def start_runs(self) -> list[str]:
        """Start the sessions asked for; none when no valid policy is in force."""
        runtime = self.runtime
        if runtime is None or runtime.holder.current is None:
            return []
        return [runtime.orchestrator.start(task, team, ws) for task, team, ws in self.runs]

    async def close(self) -> None:
        """Cancel the sessions (no agent process survives), stop the workers, close the store."""
        if self.runtime is not None:
            await self.runtime.close()


@dataclass(kw_only=True)
class Boot:
    """How to open the console: a database file (with sessions to start) or fixed records."""

    db: str = ""
    policy: Path | None = None
    runs: Sequence[Run] = ()
    on_ask: OnAsk | None = None
    """How "ask" decisions are answered (``--on-ask``); None, like ``wait``, leaves them to a human
    (None because ``agents`` is not loaded before the first paint, where a Boot is made)."""
    records: Sequence[Record] | None = None
    """Show these records and nothing else (no database, no runtime): tests and benchmarks."""
    _memory_index: sqlite3.Connection | None = field(default=None, repr=False)

    async def open_async(self) -> Opened:
        """:meth:`open` on a worker thread."""
        return await asyncio.to_thread(self.open)

    def open(self) -> Opened:
        """Open the database, the policy and the runtime that can drive sessions."""
        if self.records is not None:
            from app.bridge import MemorySource

            return Opened(source=MemorySource(self.records))
        from agents.supervisor.actions import Supervisor
        from app.bridge import DatabaseSource
        from app.commands.recover import team_for
        from app.paths import config_dir
        from app.wiring.runtime import build_runtime

        runtime, loaded = build_runtime(self.db, policy=self.policy)
        if self.on_ask is not None:
            runtime.answer_asks(self.on_ask)  # wait: answers nothing
        problems = [f"policy {loaded.path}: {e}" for e in loaded.errors]
        if runtime.holder.current is None and self.runs:
            problems.append("no valid policy is in force, so no session was started")
        supervisor = Supervisor(
            runtime.store,
            policy_path=runtime.holder.path or Path("policy.toml"),
            broker=runtime.broker,
            orchestrator=runtime.orchestrator,
            holder=runtime.holder,
            resolve_team=lambda progress: team_for(progress, None),
            config_dir=config_dir(),
        )
        source = DatabaseSource(runtime.store.engine, runtime.store)
        return Opened(
            source=source, supervisor=supervisor, runtime=runtime, runs=self.runs, problems=problems
        )

    def load_session(self, session_id: str) -> list[Record]:
        """Every record of one session, for replay (from the fixed records or the database)."""
        if self.records is not None:
            return [r for r in self.records if r.session_id == session_id]
        from app.wiring.store import open_database
        from sessions.store.reading import load_session

        engine = open_database(self.db)  # an encrypted database's key comes from the keyring
        try:
            return load_session(engine, session_id)
        finally:
            engine.dispose()

    def load_replay(self, session_id: str) -> ReplayData:
        """One session's records and the snapshots of its fold (those missing are folded and
        stored now, so the next replay of it opens fast), for the replay screen."""
        from sessions.readmodel.replay import ReplayData

        if self.records is not None:
            return ReplayData([r for r in self.records if r.session_id == session_id])
        from app.wiring.store import open_database
        from sessions.store.reading import load_session
        from sessions.store.snapshot_keeper import catch_up

        engine = open_database(self.db)
        try:
            records = load_session(engine, session_id, hashes=False)  # replay only folds
            return ReplayData(records, catch_up(engine, session_id, records))
        finally:
            engine.dispose()

    def search_records(self, query: SearchQuery) -> list[SearchHit]:
        """Search the fixed records (indexed once, in memory, by the store's own code)."""
        from sessions.store.search import memory_index, query_index

        assert self.records is not None
        if self._memory_index is None:
            self._memory_index = memory_index(self.records)
        return query_index(self._memory_index, query)
