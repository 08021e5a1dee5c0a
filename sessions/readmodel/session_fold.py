"""One session folded apart from the console: what a worker does when a session is first shown.

The console paints its sessions list from the projections and folds a session only when it is
shown (:mod:`sessions.readmodel.console_model`). :func:`fold_session` is that fold: the
session's records, taken a chunk at a time so that a 100,000-event session is never in memory
all at once, through the same reducer as the live console, into the session's view and its
packed timeline rows. It may start from a snapshot of the reducer's state (the view up to some
``seq``): records up to there then only add their timeline rows. Pure: no I/O, no UI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sessions.readmodel.reducer import Folder, parse_event, timeline_entry
from sessions.readmodel.timeline_rows import TimelineRows
from sessions.readmodel.views import ConsoleView, SessionView
from sessions.store.record import Record


@dataclass(frozen=True, slots=True)
class SessionFold:
    """A session folded from its records: its view, its timeline rows and how far it got."""

    session: SessionView
    rows: TimelineRows
    last_seq: int
    """The ``seq`` of the last record folded: the console folds what it has received past it."""


def fold_session(
    session_id: str,
    chunks: Iterable[Sequence[Record]],
    *,
    start: ConsoleView | None = None,
    stop: Callable[[], bool] | None = None,
    progress: Callable[[int], None] | None = None,
) -> SessionFold | None:
    """Fold the records of ``session_id`` (``chunks`` of them, in ``seq`` order) from ``start``
    (a snapshot of the reducer's state; an empty console when ``None``). ``stop`` is asked
    between chunks (``None`` is returned when it says so); ``progress`` gets the number of
    records read so far after each chunk."""
    folder = Folder(start)
    rows = TimelineRows(session_id)
    last = start.last_seq if start is not None else 0
    done = 0
    for chunk in chunks:
        if stop is not None and stop():
            return None
        for record in chunk:
            event = parse_event(record)  # once, for the reducer and the row alike
            folder.add(record, event)  # what the snapshot covers is skipped here
            entry = timeline_entry(record, event)
            if entry is not None:
                rows.append(entry)
        if chunk:
            last = max(last, chunk[-1].seq)
        done += len(chunk)
        if progress is not None:
            progress(done)
    session = folder.session(session_id) or SessionView(session_id=session_id)
    return SessionFold(session, rows, last)
