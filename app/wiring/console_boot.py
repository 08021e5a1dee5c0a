"""What the console opens: a database (and the runtime that drives sessions in it), or a fixed
list of records (snapshot tests, benchmarks). Runs on worker threads after the first paint:
first the database alone, whose projections paint the sessions list, then the runtime."""

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
    from agents.worktrees.create import Worktree
    from app.log_sources import LogSource
    from app.wiring.runtime import Runtime
    from sessions.readmodel.replay import ReplayData
    from sessions.store.record import Record
    from sessions.store.search import SearchHit, SearchQuery


@dataclass(frozen=True, slots=True)
class Run:
    """A session to start: the task, the team, the workspace (in its own git worktree, made
    for it beforehand, when ``worktree`` is set)."""

    task: str
    team: Team
    workspace: Path
    worktree: Worktree | None = None


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
        start = runtime.orchestrator.start
        return [start(r.task, r.team, r.workspace, worktree=r.worktree) for r in self.runs]

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

    async def open_source_async(self) -> LogSource:
        """:meth:`open_source` on a worker thread."""
        return await asyncio.to_thread(self.open_source)

    def open_source(self) -> LogSource:
        """The records to show: the database (made if missing, opened with its key when
        encrypted), before the runtime — its projections paint the first screen."""
        if self.records is not None:
            from app.log_sources import MemorySource

            return MemorySource(self.records)
        from app.log_sources import DatabaseSource
        from sessions.store.data_keys import read_state
        from sessions.store.engine import open_engine

        engine = open_engine(self.db)
        if read_state(engine) is not None:  # encrypted: its key comes from the keyring
            engine.dispose()
            from app.wiring.store import open_database  # loads the policy's modules too

            engine = open_database(self.db)
        return DatabaseSource(engine)

    async def open_async(self, source: LogSource | None = None) -> Opened:
        """:meth:`open` on a worker thread."""
        return await asyncio.to_thread(self.open, source)

    def open(self, source: LogSource | None = None) -> Opened:
        """Open the policy and the runtime that can drive sessions, with ``source`` (from
        :meth:`open_source`; opened here when ``None``) reading through the runtime's store."""
        source = source if source is not None else self.open_source()
        if self.records is not None:
            return Opened(source=source)
        from agents.supervisor.actions import Supervisor
        from app.commands.recover import team_for
        from app.log_sources import DatabaseSource
        from app.paths import config_dir
        from app.wiring.runtime import build_runtime

        try:
            runtime, loaded = build_runtime(self.db, policy=self.policy)
        except BaseException:
            if isinstance(source, DatabaseSource):
                source.engine.dispose()
            raise
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
        if isinstance(source, DatabaseSource):
            source.use(runtime.store)
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

    def spend_records(self, since_ts: str) -> dict[str, float]:
        """What the fixed records' agents cost since ``since_ts`` (the store's own projection,
        over the in-memory index)."""
        from sessions.store.usage_projection import USAGE_KIND, spend_since

        assert self.records is not None
        if not any(r.kind == USAGE_KIND for r in self.records):
            return {}  # no index to build for a scene without costs
        return spend_since(self._index(), since_ts)

    def _index(self) -> sqlite3.Connection:
        from sessions.store.search import memory_index

        assert self.records is not None
        if self._memory_index is None:
            self._memory_index = memory_index(self.records)
        return self._memory_index

    def search_records(self, query: SearchQuery) -> list[SearchHit]:
        """Search the fixed records (indexed once, in memory, by the store's own code)."""
        from sessions.store.search import query_index

        return query_index(self._index(), query)
