"""Replay: a session's log folded once, then any position rebuilt in bounded time.

:class:`ReplayLog` folds the records through the same reducer as the live console and keeps the
view every ``every`` records, so the view at any position is one snapshot plus at most
``every - 1`` records — stepping, playing and jumping cost the same at the start and at the end
of a 100,000-event session. Timeline rows are built when first read (:class:`Entries`): a
screen draws a few dozen of them, and building all 50,000 of a big session up front was a
fifth of the time to open it. Pure: no I/O, no UI.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from typing import overload

from sessions.readmodel.reducer import Folder, fold
from sessions.readmodel.timeline import has_entry, timeline_entry
from sessions.readmodel.views import ConsoleView, SessionView, TimelineEntry
from sessions.store.record import Record

Progress = Callable[[int, int], None]


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
    """One session's records with snapshots of the folded view."""

    def __init__(self, session_id: str, records: Sequence[Record], *, every: int = 256) -> None:
        self.session_id = session_id
        self.records = records
        self.every = every
        self.snapshots: list[ConsoleView] = []
        self._positions: list[int] = []
        self._built: list[TimelineEntry | None] = []
        self.final = ConsoleView()

    def build(self, progress: Progress | None = None) -> ReplayLog:
        """Fold every record once (call it on a worker thread); ``progress(done, total)``."""
        folder = Folder()
        total = len(self.records)
        positions = self._positions
        for i, record in enumerate(self.records):
            if i % self.every == 0:
                self.snapshots.append(folder.view())
                if progress is not None and i % (self.every * 16) == 0:
                    progress(i, total)
            folder.add(record)
            if has_entry(record.kind):
                positions.append(i)
        self._built = [None] * len(positions)
        self.final = folder.view()
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
        base = position // self.every
        start = base * self.every
        return fold(self.records[start:position], self.snapshots[base])

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
