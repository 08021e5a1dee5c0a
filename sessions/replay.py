"""Replay: a session's log folded once, then any position rebuilt in bounded time.

:class:`ReplayLog` folds the records through the same reducer as the live console and keeps the
view every ``every`` records, so the view at any position is one snapshot plus at most
``every - 1`` records — stepping, playing and jumping cost the same at the start and at the end
of a 100,000-event session. Timeline rows are built in the same pass. Pure: no I/O, no UI.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence

from sessions.record import Record
from sessions.state import fold, parse_event, reduce
from sessions.timeline import timeline_entry
from sessions.views import ConsoleView, SessionView, TimelineEntry

Progress = Callable[[int, int], None]


class ReplayLog:
    """One session's records with snapshots of the folded view."""

    def __init__(self, session_id: str, records: Sequence[Record], *, every: int = 256) -> None:
        self.session_id = session_id
        self.records = records
        self.every = every
        self.snapshots: list[ConsoleView] = []
        self.entries: list[TimelineEntry] = []
        self._entry_seqs: list[int] = []
        self.final = ConsoleView()

    def build(self, progress: Progress | None = None) -> ReplayLog:
        """Fold every record once (call it on a worker thread); ``progress(done, total)``."""
        view = ConsoleView()
        total = len(self.records)
        for i, record in enumerate(self.records):
            if i % self.every == 0:
                self.snapshots.append(view)
                if progress is not None and i % (self.every * 16) == 0:
                    progress(i, total)
            event = parse_event(record)
            view = reduce(view, record, event)
            entry = timeline_entry(record, event)
            if entry is not None:
                self.entries.append(entry)
                self._entry_seqs.append(entry.seq)
        self.final = view
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

    def entries_until(self, position: int) -> list[TimelineEntry]:
        """The timeline rows of the first ``position`` records."""
        if position <= 0:
            return []
        seq = self.records[min(position, len(self.records)) - 1].seq
        return self.entries[: bisect_right(self._entry_seqs, seq)]

    def next_position(self, position: int, kinds: frozenset[str]) -> int | None:
        """The position just after the next record (past ``position``) of one of ``kinds``."""
        for i in range(position, len(self.records)):
            if self.records[i].kind in kinds:
                return i + 1
        return None
