"""Replay: a session's log, any position rebuilt in bounded time from the nearest state.

:class:`ReplayLog` starts from the reducer's stored snapshots (:mod:`sessions.readmodel.snapshots`,
one every 5,000 records) and folds the records through the same reducer as the live console:
opening at the end folds the last snapshot's tail, not the session. Every position it folds
past, at a multiple of ``every``, keeps its view, so the next position near it is one kept view
plus at most ``every - 1`` records — stepping and playing cost the same at the start and at the
end of a 100,000-event session, and only the first step into a stretch of 5,000 folds more.
Timeline rows are built when first read (:class:`Entries`): a screen draws a few dozen of
them, and building all 50,000 of a big session up front was a fifth of the time to open it.
Pure: no I/O, no UI.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import overload

from sessions.readmodel.reducer import Folder
from sessions.readmodel.snapshots import Snapshot
from sessions.readmodel.timeline import has_entry, timeline_entry
from sessions.readmodel.views import ConsoleView, SessionView, TimelineEntry
from sessions.store.record import Record

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class ReplayData:
    """What a replay opens from: one session's records, in order, and the stored snapshots
    of its fold that match them (:func:`sessions.store.snapshot_keeper.catch_up`)."""

    records: Sequence[Record]
    snapshots: Sequence[Snapshot] = ()


class Entries(Sequence[TimelineEntry]):
    """The timeline rows of ``records[p]`` for each ``p`` of ``positions``, the first ``length``
    of them, each built the first time it is read and kept (views share what they built)."""

    def __init__(
        self,
        records: Sequence[Record],
        positions: list[int],
        built: list[TimelineEntry | None],
        *,
        length: int,
    ) -> None:
        self._records, self._positions, self._built = records, positions, built
        self._length = length

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> TimelineEntry: ...

    @overload
    def __getitem__(self, index: slice) -> list[TimelineEntry]: ...

    def __getitem__(self, index: int | slice) -> TimelineEntry | list[TimelineEntry]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(index)
        entry = self._built[index]
        if entry is None:
            entry = timeline_entry(self._records[self._positions[index]])
            assert entry is not None  # positions hold only records that have a row
            self._built[index] = entry
        return entry


class ReplayLog:
    """One session's records with states of the folded view to start from."""

    def __init__(
        self,
        session_id: str,
        records: Sequence[Record],
        *,
        every: int = 256,
        snapshots: Sequence[Snapshot] = (),
    ) -> None:
        self.session_id = session_id
        self.records = records
        self.every = every
        self._at: dict[int, ConsoleView] = {0: ConsoleView()}
        for snap in snapshots:
            self._at[snap.position] = snap.state
        self._keys = sorted(self._at)
        self._positions: list[int] = []
        self._built: list[TimelineEntry | None] = []
        self.final = ConsoleView()

    def build(self, progress: Progress | None = None) -> ReplayLog:
        """Find the timeline's rows and fold to the end from the last state before it (call
        it on a worker thread); ``progress(done, total)``."""
        total = len(self.records)
        if progress is not None:
            progress(0, total)
        self._positions = [i for i, r in enumerate(self.records) if has_entry(r.kind)]
        self._built = [None] * len(self._positions)
        self.final = self._fold_to(total, progress)
        if progress is not None:
            progress(total, total)
        return self

    def __len__(self) -> int:
        return len(self.records)

    def view_at(self, position: int) -> ConsoleView:
        """The view after the first ``position`` records (0: before any)."""
        position = max(0, min(position, len(self.records)))
        if position == len(self.records):
            return self.final
        return self._fold_to(position)

    def _fold_to(self, position: int, progress: Progress | None = None) -> ConsoleView:
        """Fold from the nearest state before ``position``, keeping a state every ``every``
        records on the way: the next step near here folds a few records, not thousands."""
        start = self._keys[bisect_right(self._keys, position) - 1]
        folder = Folder(self._at[start])
        every, records = self.every, self.records
        for i in range(start, position):
            folder.add(records[i])
            done = i + 1
            if done % every == 0 and done not in self._at:
                self._at[done] = folder.view()
                insort(self._keys, done)
                if progress is not None and done % (every * 16) == 0:
                    progress(done, len(records))
        return folder.view()

    def session_at(self, position: int) -> SessionView | None:
        """The replayed session after ``position`` records."""
        return self.view_at(position).session(self.session_id)

    @property
    def entries(self) -> Entries:
        """Every timeline row of the session."""
        return self.entries_until(len(self.records))

    def entries_until(self, position: int) -> Entries:
        """The timeline rows of the first ``position`` records."""
        count = bisect_left(self._positions, max(0, position))
        return Entries(self.records, self._positions, self._built, length=count)

    def next_position(self, position: int, kinds: frozenset[str]) -> int | None:
        """The position just after the next record (past ``position``) of one of ``kinds``."""
        for i in range(position, len(self.records)):
            if self.records[i].kind in kinds:
                return i + 1
        return None
