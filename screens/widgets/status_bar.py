"""The status bar: running sessions, pending approvals, the policy in force and its last reload."""

from __future__ import annotations

from textual.widgets import Static

from screens.format import escape
from sessions.readmodel.views import ConsoleView


class StatusBar(Static):
    """One line at the bottom of the dashboard."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._view: ConsoleView | None = None
        self._shown: tuple[str, str, str] | None = None
        self._text = ""
        self.progress_text = ""
        """Shown while the shown session is folded (``"loading fix the tests 40%"``)."""

    def show(self, view: ConsoleView, *, force: bool = False) -> None:
        """Redraw from ``view``."""
        if view is self._view and not force:
            return
        self._view = view
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
        head = f"[$success]● {view.running} running[/] · {pending} · {policy_text}"
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
