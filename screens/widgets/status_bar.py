"""The status bar: running sessions, pending approvals, what the selected session and today cost,
the policy in force and its last reload."""

from __future__ import annotations

from textual.widgets import Static

from screens.format import escape, moneys
from sessions.readmodel.usage import Money
from sessions.readmodel.views import ConsoleView, SessionView


class StatusBar(Static):
    """One line at the bottom of the dashboard."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._view: ConsoleView | None = None
        self._shown: tuple[str, str, str] | None = None
        self._text = ""
        self.progress_text = ""
        """Shown while the shown session is folded (``"loading fix the tests 40%"``)."""
        self.day_spend: tuple[Money, ...] = ()
        """What every session's agents cost today (read from the log's projection)."""
        self._session: SessionView | None = None

    def show(
        self, view: ConsoleView, *, force: bool = False, session: SessionView | None = None
    ) -> None:
        """Redraw from ``view``; ``session`` is the selected one (its cost is shown)."""
        if view is self._view and session is self._session and not force:
            return
        self._view, self._session = view, session
        policy = view.policy
        if policy.hash is None:
            policy_text = "[$text-muted]policy: none recorded yet[/]"
        else:
            result = {"ok": "[$success]reloaded ok[/]", "rejected": "[$error]reload rejected[/]"}
            last = result.get(policy.last_result or "", "[$text-muted]loaded[/]")
            rules = f" · {policy.rules} rules" if policy.rules is not None else ""
            policy_text = f"policy [b]{policy.hash[:12]}[/]{rules} · {last}"
        waiting = len(view.pending)
        pending = (
            f"[$warning b]◆ {waiting} waiting[/]" if waiting else "[$text-muted]◆ 0 waiting[/]"
        )
        loading = f" · [$text-muted]{escape(self.progress_text)}[/]" if self.progress_text else ""
        spend = _spend(session, self.day_spend)
        head = f"[$success]● {view.running} running[/] · {pending}{spend} · {policy_text}"
        sessions = f" · [$text-muted]{len(view.sessions)} sessions"
        # The seq alone moving is shown at the next forced redraw (every second): a repaint of
        # this bottom line at every event would widen each frame's repaint to the whole screen.
        if not force and (head, sessions, loading) == self._shown:
            return
        self._shown = (head, sessions, loading)
        text = f"{head}{sessions} · seq {view.last_seq}[/]{loading}"
        if text != self._text:
            self._text = text
            self.update(text, layout=False)


def _spend(session: SessionView | None, today: tuple[Money, ...]) -> str:
    """`` · $0.42 session · $3.10 today``: what is known of either; nothing before any cost."""
    parts = []
    spent = session.spent if session is not None else ()
    if spent:
        parts.append(f"[b]{escape(moneys(spent))}[/] session")
    if today:
        parts.append(f"{escape(moneys(today))} today")
    return "".join(f" · {part}" for part in parts)
