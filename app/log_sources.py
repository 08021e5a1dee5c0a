"""Where the console's bridge reads the log from: a database, or records in memory.

:class:`LogSource` is what the bridge needs of a log: the projections' outline, a session's
records in chunks, the tail after a seq, a cheap "anything new?" probe and the in-process
writer's subscription. :class:`DatabaseSource` reads a real store; :class:`MemorySource` holds
records (replays of an exported file, test scenes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Engine

from sessions.store.event_store import EventStore
from sessions.store.reading import iter_session, read_after
from sessions.store.record import Record

if TYPE_CHECKING:
    from sessions.readmodel.outline import Outline
    from sessions.store.change_probe import ChangeProbe

Unsubscribe = Callable[[], None]


class LogSource(Protocol):
    """Where the bridge reads records from."""

    def outline(self) -> Outline:
        """What to paint first: the sessions as their projection has them (read at once)."""
        ...

    def session_chunks(self, session_id: str) -> Iterable[Sequence[Record]]:
        """One session's records in ``seq`` order, a chunk at a time."""
        ...

    def read_after(self, seq: int, limit: int) -> list[Record]:
        """Records with ``seq`` past ``seq``, in order, at most ``limit``."""
        ...

    def probe(self) -> ChangeProbe | None:
        """A way to hear cheaply of other processes' commits; ``None``: there are none."""
        ...

    def subscribe(self, callback: Callable[[Sequence[Record]], None]) -> Unsubscribe:
        """Be called (on any thread) with every batch committed from now on."""
        ...


class DatabaseSource:
    """A database file, with live commits from this process's store once there is one."""

    def __init__(self, engine: Engine, store: EventStore | None = None) -> None:
        self.engine = engine
        self.store = store

    def use(self, store: EventStore) -> None:
        """Read through ``store``'s engine from now on, and hear of its commits: the engine
        opened to paint the first screen is let go (the store's may have a key it lacked)."""
        old, self.engine, self.store = self.engine, store.engine, store
        if old is not store.engine:
            old.dispose()

    def outline(self) -> Outline:
        """The projections, read in one snapshot."""
        from sessions.readmodel.outline import outline_of
        from sessions.store.overview import read_overview

        seen = read_overview(self.engine)
        return outline_of(
            sessions=seen.sessions, pending=seen.pending, policy=seen.policy, last_seq=seen.last_seq
        )

    def session_chunks(self, session_id: str) -> Iterable[Sequence[Record]]:
        """The session's records from the database, 1,000 at a time: what a chunk leaves
        behind fragments the heap, and larger chunks left the console 8 MB bigger."""
        return iter_session(self.engine, session_id, chunk=1000)

    def read_after(self, seq: int, limit: int) -> list[Record]:
        """Records past ``seq`` from the database."""
        return read_after(self.engine, seq, limit)

    def probe(self) -> ChangeProbe | None:
        """``PRAGMA data_version`` on the file (an in-memory database has no other writer)."""
        from sessions.store.change_probe import ChangeProbe
        from sessions.store.engine import database_path

        path = database_path(self.engine)
        return None if path is None else ChangeProbe(path)

    def subscribe(self, callback: Callable[[Sequence[Record]], None]) -> Unsubscribe:
        """This process's commits; without a store, only the probe brings news."""
        if self.store is None:
            return lambda: None
        return self.store.subscribe(callback)


class MemorySource:
    """A fixed list of records (snapshot tests, benchmarks); ``push`` simulates commits."""

    def __init__(self, records: Sequence[Record] = ()) -> None:
        self.records = list(records)
        self._callbacks: list[Callable[[Sequence[Record]], None]] = []

    def outline(self) -> Outline:
        """Every session folded in full: the list is small and in memory already."""
        from sessions.readmodel.outline import folded_outline

        return folded_outline(self.records)

    def session_chunks(self, session_id: str) -> Iterable[Sequence[Record]]:
        """The session's records, as one chunk."""
        return [[r for r in self.records if r.session_id == session_id]]

    def read_after(self, seq: int, limit: int) -> list[Record]:
        """Records past ``seq``."""
        return [r for r in self.records if r.seq > seq][:limit]

    def probe(self) -> ChangeProbe | None:
        """None: only ``push`` brings records."""
        return None

    def subscribe(self, callback: Callable[[Sequence[Record]], None]) -> Unsubscribe:
        """Be told of ``push`` calls."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback)

    def push(self, batch: Sequence[Record]) -> None:
        """Add records as if committed, and tell subscribers."""
        self.records.extend(batch)
        for callback in list(self._callbacks):
            callback(batch)
