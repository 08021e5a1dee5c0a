"""The status bar: running sessions, pending approvals, the policy in force and its last reload."""

from __future__ import annotations

from textual.widgets import Static

from screens.format import escape
from sessions.views import ConsoleView


class StatusBar(Static):
    """One line at the bottom of the dashboard."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._view: ConsoleView | None = None
        self.progress_text = ""
        """Shown while the history loads (``"loading history 40%"``)."""

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
        self.update(
            f"[$success]● {view.running} running[/] · {pending} · {policy_text}"
            f" · [$text-muted]{len(view.sessions)} sessions · seq {view.last_seq}[/]{loading}",
            layout=False,  # one line, always: no layout per event
        )
