"""A session's timeline rows, packed: a few arrays instead of an object per row.

A 100,000-event session has some 50,000 timeline rows. As :class:`~sessions.readmodel.views.
TimelineEntry` objects, with the strings each row read from its record, they took 30 MB — most
of what a console showing that session held. :class:`TimelineRows` keeps the rows in arrays,
about 90 bytes a row: the ``seq``; the summary and the time's fraction of a second as UTF-8 in
one buffer; and the names a session repeats (actors, kinds, agents, decisions, rules, the time
to the second) as numbers into one table. A row is built again when it is read — a screen reads
a few dozen per frame — and is equal to the row that went in.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from typing import cast, overload

from sessions.readmodel.views import Category, TimelineEntry

_NAMES_PER_ROW = 8
"""actor, kind, category, agent_id, decision, rule_id, decided_by, and the time's first
:data:`_SECOND` characters (``2026-11-24T09:30:05``: shared by the rows of one second)."""
_SECOND = 19


def _widened(values: array[int], value: int) -> array[int]:
    """``values``, in a wider type if ``value`` does not fit its items (16 bits, then 32, 64)."""
    if value < 1 << (8 * values.itemsize):
        return values
    return array("I" if values.itemsize < 4 else "Q", values)


class TimelineRows(Sequence[TimelineEntry]):
    """The rows of one session in ``seq`` order; :meth:`append` adds one at the end."""

    __slots__ = ("_index", "_names", "_refs", "_seqs", "_starts", "_text", "session_id")

    def __init__(self, session_id: str, entries: Iterable[TimelineEntry] = ()) -> None:
        self.session_id = session_id
        self._seqs = array("q")
        self._text = bytearray()
        self._starts = array("I", [0])
        """Where each row's fraction of a second, then its summary, begins in ``_text``."""
        self._refs = array("H")
        """:data:`_NAMES_PER_ROW` indexes into ``_names`` per row."""
        self._names: list[str | None] = [None]
        self._index: dict[str | None, int] = {None: 0}
        for entry in entries:
            self.append(entry)

    def append(self, entry: TimelineEntry) -> None:
        """Add a row after the last one (it must be of this session)."""
        self._seqs.append(entry.seq)
        text = self._text
        text += entry.ts[_SECOND:].encode()
        middle = len(text)
        text += entry.summary.encode()
        self._starts = _widened(self._starts, len(text))
        self._starts.extend((middle, len(text)))
        ref = self._ref
        refs = (
            ref(entry.actor),
            ref(entry.kind),
            ref(entry.category),
            ref(entry.agent_id),
            ref(entry.decision),
            ref(entry.rule_id),
            ref(entry.decided_by),
            ref(entry.ts[:_SECOND]),
        )
        self._refs = _widened(self._refs, len(self._names))
        self._refs.extend(refs)

    def _ref(self, name: str | None) -> int:
        found = self._index.get(name)
        if found is None:
            found = self._index[name] = len(self._names)
            self._names.append(name)
        return found

    def __len__(self) -> int:
        return len(self._seqs)

    @overload
    def __getitem__(self, index: int) -> TimelineEntry: ...

    @overload
    def __getitem__(self, index: slice) -> list[TimelineEntry]: ...

    def __getitem__(self, index: int | slice) -> TimelineEntry | list[TimelineEntry]:
        if isinstance(index, slice):
            return [self._row(i) for i in range(*index.indices(len(self._seqs)))]
        if index < 0:
            index += len(self._seqs)
        if not 0 <= index < len(self._seqs):
            raise IndexError(index)
        return self._row(index)

    def _row(self, i: int) -> TimelineEntry:
        starts, text, names = self._starts, self._text, self._names
        at = 2 * i
        actor, kind, category, agent_id, decision, rule_id, decided_by, second = (
            names[n] for n in self._refs[_NAMES_PER_ROW * i : _NAMES_PER_ROW * (i + 1)]
        )
        return TimelineEntry(
            seq=self._seqs[i],
            ts=(second or "") + text[starts[at] : starts[at + 1]].decode(),
            session_id=self.session_id,
            actor=actor or "",
            kind=kind or "",
            summary=text[starts[at + 1] : starts[at + 2]].decode(),
            category=cast(Category, category),
            agent_id=agent_id,
            decision=decision,
            rule_id=rule_id,
            decided_by=decided_by,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TimelineRows):
            return NotImplemented
        return self.session_id == other.session_id and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # equal by content, and it grows
