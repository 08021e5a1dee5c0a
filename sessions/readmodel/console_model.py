"""What a console holds: the folded view, each session's timeline, and what deserves an alert.

:class:`ConsoleModel` is the accumulator both the live dashboard and the replay screen fill:
records go in (in ``seq`` order; already-seen ones are ignored), and :meth:`ConsoleModel.add`
says what changed — the new view, the new timeline rows per session and the alerts (an approval
arrived; what has waited, failed or stalled is :mod:`sessions.readmodel.attention`'s). Each payload is parsed once and shared by the reducer and the
timeline. Pure: no I/O, no UI.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from sessions.readmodel.views import ConsoleView, SessionView, TimelineEntry

if TYPE_CHECKING:
    from sessions.readmodel.reducer import Folder
    from sessions.store.record import Record

AlertKind = Literal["approval", "failed", "stalled"]
"""An approval arrived (from the records); the others come from :mod:`~sessions.readmodel.attention`."""


@dataclass(frozen=True, slots=True)
class Alert:
    """Something a human should look at now: rings the bell and shows a notification."""

    kind: AlertKind
    session_id: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Changes:
    """What one :meth:`ConsoleModel.add` did."""

    view: ConsoleView
    entries: dict[str, list[TimelineEntry]] = field(default_factory=dict)
    alerts: tuple[Alert, ...] = ()
    records: int = 0


class ConsoleModel:
    """The folded console view plus every session's timeline rows, in ``seq`` order."""

    def __init__(self) -> None:
        self._folder: Folder | None = None  # the reducer loads with the first records
        self.view = ConsoleView()
        self.timelines: dict[str, list[TimelineEntry]] = {}

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the last record folded (0 when empty)."""
        return self.view.last_seq

    def add(self, records: Iterable[Record], *, alerts: bool = True) -> Changes:
        """Fold ``records``; with ``alerts`` off (loading history) nothing is announced."""
        # The reducer and the payload models load with the first records, after the first
        # paint: building the models takes a tenth of a second.
        from sessions.readmodel.reducer import Folder, parse_event
        from sessions.readmodel.timeline import timeline_entry

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
            entry = timeline_entry(record, event)
            if entry is not None:
                self.timelines.setdefault(record.session_id, []).append(entry)
                entries.setdefault(record.session_id, []).append(entry)
            if alerts and record.kind in _ALERTING:
                alert = _alert(record, folder.session(record.session_id))
                if alert is not None:
                    found.append(alert)
        self.view = folder.view()
        return Changes(view=self.view, entries=entries, alerts=tuple(found), records=count)

    def timeline(self, session_id: str) -> list[TimelineEntry]:
        """The session's timeline rows so far: the list itself, which later records extend
        (callers must not change it)."""
        return self.timelines.setdefault(session_id, [])


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
