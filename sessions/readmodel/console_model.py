"""What a console holds: the folded view, the shown sessions' timelines, what deserves an alert.

:class:`ConsoleModel` is the accumulator the live dashboard fills. It starts from an
:class:`~sessions.readmodel.outline.Outline` (:meth:`ConsoleModel.seed`): every session as its
projection has it, so the sessions list paints at once whatever the size of the history. A
session is folded from its own records only when it is shown, by a worker
(:func:`~sessions.readmodel.session_fold.fold_session`), and :meth:`ConsoleModel.adopt` puts the
result in place of its outline. Live records go in through :meth:`ConsoleModel.add` (in ``seq``
order; already-seen ones are ignored), which says what changed — the new view, the new timeline
rows of folded sessions and the alerts (an approval arrived; what has waited, failed or stalled
is :mod:`sessions.readmodel.attention`'s). Outlines take live records too (their state, counts
and approvals stay true); their rows are built when they are folded. Each payload is parsed once
and shared by the reducer and the timeline. Pure: no I/O, no UI.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from sessions.readmodel.views import ConsoleView, SessionView, TimelineEntry

if TYPE_CHECKING:
    from sessions.readmodel.events import Event
    from sessions.readmodel.outline import Outline
    from sessions.readmodel.reducer import Folder
    from sessions.readmodel.session_fold import SessionFold
    from sessions.readmodel.timeline_rows import TimelineRows
    from sessions.store.record import Record

AlertKind = Literal["approval", "failed", "stalled"]
"""An approval arrived (from the records); the others come from :mod:`~sessions.readmodel.attention`."""

Folding = Literal["folded", "loading", "outline"]
"""How much of a session the model holds: all of it, its outline while a worker folds it, or
its outline only."""


@dataclass(frozen=True, slots=True)
class Alert:
    """Something a human should look at now: rings the bell and shows a notification."""

    kind: AlertKind
    session_id: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Changes:
    """What one :meth:`ConsoleModel.add` (or :meth:`~ConsoleModel.seed`, or
    :meth:`~ConsoleModel.adopt`) did."""

    view: ConsoleView
    entries: dict[str, list[TimelineEntry]] = field(default_factory=dict)
    alerts: tuple[Alert, ...] = ()
    records: int = 0
    folded: tuple[str, ...] = ()
    """Sessions whose timeline is new (folded just now): shown, they are drawn again."""


class ConsoleModel:
    """The console view (folded sessions and outlines) plus the folded sessions' timelines."""

    def __init__(self) -> None:
        self._folder: Folder | None = None  # the reducer loads with the first records
        self.view = ConsoleView()
        self._rows: dict[str, TimelineRows] = {}
        """The timeline of every folded session (a session first seen live is folded)."""
        self._outlines: set[str] = set()
        self._loading: dict[str, list[tuple[Record, Event | None]]] = {}
        """Sessions a worker folds, with the records folded into their outline meanwhile."""
        self._early: dict[str, SessionFold] = {}
        """Folds that read past the records added so far: adopted once those are added."""

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the last record folded (0 when empty)."""
        return self.view.last_seq

    def seed(self, outline: Outline) -> Changes:
        """Start from ``outline`` (before any record is added): its sessions wait to be
        folded, but those it holds folded with their rows."""
        from sessions.readmodel.reducer import Folder

        self._folder = Folder(outline.view)
        self._rows = dict(outline.rows)
        self._outlines = {s.session_id for s in outline.view.sessions} - set(outline.rows)
        self.view = self._folder.view()
        return Changes(view=self.view, folded=tuple(outline.rows))

    def add(self, records: Iterable[Record], *, alerts: bool = True) -> Changes:
        """Fold ``records``; with ``alerts`` off (history) nothing is announced."""
        # The reducer and the payload models load with the first records, after the first
        # paint: building the models takes a tenth of a second.
        from sessions.readmodel.reducer import Folder, parse_event
        from sessions.readmodel.timeline import timeline_entry
        from sessions.readmodel.timeline_rows import TimelineRows

        folder = self._folder = self._folder or Folder()
        entries: dict[str, list[TimelineEntry]] = {}
        found: list[Alert] = []
        count = 0
        for record in records:
            if record.seq <= folder.last_seq:
                continue
            event = parse_event(record)
            folder.add(record, event)
            count += 1
            sid = record.session_id
            if sid in self._outlines:  # its rows are built when it is folded
                loading = self._loading.get(sid)
                if loading is not None:
                    loading.append((record, event))
            elif (entry := timeline_entry(record, event)) is not None:
                rows = self._rows.get(sid)
                if rows is None:
                    rows = self._rows[sid] = TimelineRows(sid)
                rows.append(entry)
                entries.setdefault(sid, []).append(entry)
            if alerts and record.kind in _ALERTING:
                alert = _alert(record, folder.session(sid))
                if alert is not None:
                    found.append(alert)
        ready = [f for f in self._early.values() if f.last_seq <= folder.last_seq]
        for fold in ready:
            del self._early[fold.session.session_id]
            self._adopt(fold)
        self.view = folder.view()
        return Changes(
            view=self.view,
            entries=entries,
            alerts=tuple(found),
            records=count,
            folded=tuple(f.session.session_id for f in ready),
        )

    def folding(self, session_id: str) -> Folding:
        """How much of ``session_id`` is held (a session never seen counts as folded)."""
        if session_id not in self._outlines:
            return "folded"
        return "loading" if session_id in self._loading else "outline"

    def begin_load(self, session_id: str) -> bool:
        """Note that a worker folds ``session_id`` from now on (records added meanwhile are
        kept for :meth:`adopt`); ``False`` when it is folded or being folded already."""
        if self.folding(session_id) != "outline":
            return False
        self._loading[session_id] = []
        return True

    def drop_load(self, session_id: str) -> None:
        """The worker gave up (stopped, or failed): the session stays an outline."""
        self._loading.pop(session_id, None)
        self._early.pop(session_id, None)

    def adopt(self, fold: SessionFold) -> Changes:
        """Put a worker's fold in place of the session's outline, with the records added
        since it began that it did not read (a few: they come while it folds). A fold that
        read records not added here yet (another process's, say) waits for them: they would
        be folded twice otherwise."""
        sid = fold.session.session_id
        if sid not in self._loading or self._folder is None:
            return Changes(view=self.view)  # not asked for (or dropped): nothing to adopt
        if fold.last_seq > self._folder.last_seq:
            self._early[sid] = fold
            return Changes(view=self.view)
        self._adopt(fold)
        self.view = self._folder.view()
        return Changes(view=self.view, folded=(sid,))

    def _adopt(self, fold: SessionFold) -> None:
        from sessions.readmodel.reducer import Folder
        from sessions.readmodel.timeline import timeline_entry

        assert self._folder is not None
        sid = fold.session.session_id
        meanwhile = self._loading.pop(sid, [])
        rows = fold.rows
        tail = Folder(ConsoleView(sessions=(fold.session,), last_seq=fold.last_seq))
        for record, event in meanwhile:
            if tail.add(record, event) and (entry := timeline_entry(record, event)) is not None:
                rows.append(entry)
        session = tail.session(sid)
        assert session is not None
        self._folder.replace(session)
        self._outlines.discard(sid)
        self._rows[sid] = rows

    def timeline(self, session_id: str) -> Sequence[TimelineEntry]:
        """The session's timeline rows so far (none until it is folded): the sequence
        itself, which later records extend (callers must not change it)."""
        if session_id in self._outlines:
            return ()
        rows = self._rows.get(session_id)
        if rows is None:
            from sessions.readmodel.timeline_rows import TimelineRows

            rows = self._rows[session_id] = TimelineRows(session_id)
        return rows


_ALERTING = frozenset({"approval.requested"})


def _alert(record: Record, session: SessionView | None) -> Alert | None:
    if record.kind == "approval.requested" and session is not None:
        asked = next((p for p in session.pending if p.requested_seq == record.seq), None)
        if asked is not None:
            what = asked.command or asked.summary
            return Alert("approval", record.session_id, f"{asked.role} asks: {what}")
    return None


@dataclass
class AlertThrottle:
    """Keeps a burst of approvals from burying the screen under notifications.

    Approval alerts that arrive together become one ("3 approvals waiting: …"), and after one
    is shown, more approvals within ``quiet_s`` only join the queue on screen — no new toast, no
    new bell. A failed or stalled session always alerts: it is rarer and worth the noise.
    """

    quiet_s: float = 8.0
    _last_approval: float | None = None

    def admit(self, alerts: Iterable[Alert], now: float) -> list[Alert]:
        """The alerts to raise at ``now`` out of ``alerts``."""
        approvals = [a for a in alerts if a.kind == "approval"]
        shown = [a for a in alerts if a.kind != "approval"]
        if not approvals:
            return shown
        quiet = self._last_approval is not None and now - self._last_approval < self.quiet_s
        if quiet:
            return shown
        self._last_approval = now
        first = approvals[0]
        if len(approvals) > 1:
            text = f"{len(approvals)} approvals waiting; first: {first.text}"
            first = Alert("approval", first.session_id, text)
        return [first, *shown]
