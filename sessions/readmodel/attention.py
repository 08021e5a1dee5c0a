"""What deserves a notification that reaches a human away from the console: an approval that
has waited too long, a session that failed, a running session that stalled.

:func:`due` is pure over a :class:`~sessions.readmodel.views.ConsoleView` and a time; a
:class:`Watch` remembers what it has told, so each approval, each failure and each stall is
told once, however often the console looks. No I/O, no UI: the console decides how to ring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sessions.lifecycle import SessionState
from sessions.readmodel.views import ConsoleView, PendingApprovalView, SessionView

__all__ = ["Notice", "NoticeKind", "Rules", "Watch", "due"]

NoticeKind = Literal["approval", "failed", "stalled"]

_RUNNING = frozenset({SessionState.RUNNING, SessionState.AWAITING_APPROVAL})


@dataclass(frozen=True, slots=True, kw_only=True)
class Rules:
    """When to notify; ``None`` turns a condition off."""

    approval_after_s: float | None = 60.0
    """An approval pending at least this long."""
    stall_after_s: float | None = 300.0
    """A running session with no event (and no approval pending) at least this long."""
    on_failure: bool = True
    """A session that failed."""


@dataclass(frozen=True, slots=True)
class Notice:
    """One thing to tell. ``key`` names the approval, the failure or the stall it is about,
    so the same one is never told twice."""

    kind: NoticeKind
    key: str
    session_id: str
    text: str


def due(
    view: ConsoleView,
    now: float,
    rules: Rules,
    *,
    since: float,
    interrupted: frozenset[str] = frozenset(),
) -> list[Notice]:
    """Every condition true at ``now``: approvals first (oldest first), then failures and
    stalls in session order.

    A failure is news only if it happened at or after ``since`` (when the console opened): a
    history of failed sessions is not told again at every start. ``interrupted`` sessions (no
    live process runs them; the dashboard marks them) are dead, not stalled, and nobody is left
    to act on their approvals, so neither is told.
    """
    notices: list[Notice] = []
    titles = {s.session_id: _title(s) for s in view.sessions}
    if rules.approval_after_s is not None:
        for pending in view.pending:
            if pending.session_id in interrupted:
                continue
            asked = _timestamp(pending.requested_ts)
            if asked is not None and now - asked >= rules.approval_after_s:
                title = titles.get(pending.session_id, pending.session_id[:8])
                notices.append(_approval(pending, title, waited=now - asked))
    for session in view.sessions:
        last = _timestamp(session.updated_ts)
        if last is None:
            continue
        if rules.on_failure and session.state is SessionState.FAILED and last >= since:
            key = f"failed:{session.session_id}"
            notices.append(Notice("failed", key, session.session_id, f"{_title(session)} failed"))
        stalled = (
            rules.stall_after_s is not None
            and session.state in _RUNNING
            and not session.pending
            and session.session_id not in interrupted
            and now - last >= rules.stall_after_s
        )
        if stalled:  # keyed by its last event: a session that moves and stalls again is told
            key = f"stalled:{session.session_id}:{session.updated_ts}"
            text = f"{_title(session)}: no event for {_duration(now - last)}"
            notices.append(Notice("stalled", key, session.session_id, text))
    return notices


@dataclass
class Watch:
    """:func:`due` with a memory: :meth:`check` returns only what was not told before."""

    rules: Rules
    since: float
    """When the console opened: failures before it are history."""
    _told: set[str] = field(default_factory=set)

    def check(
        self, view: ConsoleView, now: float, *, interrupted: frozenset[str] = frozenset()
    ) -> list[Notice]:
        """The notices due at ``now`` that were not told yet (and are told now)."""
        fresh = [
            notice
            for notice in due(view, now, self.rules, since=self.since, interrupted=interrupted)
            if notice.key not in self._told
        ]
        self._told.update(notice.key for notice in fresh)
        return fresh


def _approval(pending: PendingApprovalView, title: str, *, waited: float) -> Notice:
    what = pending.command or pending.summary
    text = f"{title}: {pending.role} has waited {_duration(waited)} for: {what}"
    return Notice("approval", f"approval:{pending.approval_id}", pending.session_id, text)


def _title(session: SessionView) -> str:
    return session.title or session.session_id[:8]


def _timestamp(iso: str) -> float | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return None


def _duration(seconds: float) -> str:
    """``45 s``, ``2 min``, ``1 h 5 min``: how long, as a notification says it."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes = whole // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"
