"""The sessions list: a badge per state, its agents, pending approvals and age."""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from screens.format import STATE_ICON, STATE_STYLE, age, clip, escape
from sessions.views import SessionView


class SessionList(OptionList):
    """Every session in creation order; the highlighted one is shown in the panels."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._sessions: tuple[SessionView, ...] = ()
        self._now = 0.0
        self.border_title = "Sessions"

    @property
    def selected_id(self) -> str | None:
        """The highlighted session's id."""
        if self.highlighted is None or not self._sessions:
            return None
        return self.get_option_at_index(self.highlighted).id

    def show(self, sessions: tuple[SessionView, ...], now: float, *, force: bool = False) -> None:
        """Redraw with ``sessions``, keeping the highlighted one (the newest when none was)."""
        if sessions is self._sessions and not force:
            return
        keep = self.selected_id
        first = not self._sessions
        self._sessions = sessions
        width = max(16, self.scrollable_content_region.width - 1)
        options = [Option(_prompt(s, now, width), id=s.session_id) for s in sessions]
        self.set_options(options)
        ids = [s.session_id for s in sessions]
        self._now = now
        if keep in ids:
            self.highlighted = ids.index(keep)
        elif ids and (first or keep is None):
            self.highlighted = len(ids) - 1
        self.border_subtitle = f"{len(sessions)}"

    def select_session(self, session_id: str) -> None:
        """Highlight ``session_id`` (from the command palette)."""
        ids = [s.session_id for s in self._sessions]
        if session_id in ids:
            self.highlighted = ids.index(session_id)

    def on_resize(self) -> None:
        """Prompts are clipped to the width: draw them again at the new one."""
        self.show(self._sessions, self._now, force=True)


def _prompt(s: SessionView, now: float, width: int) -> Content:
    style = STATE_STYLE.get(s.state, "$text")
    icon = STATE_ICON.get(s.state, "?")
    title = escape(clip(s.title or s.session_id[:8], width - 2))
    waiting = f" [$warning b]◆{len(s.pending)}[/]" if s.pending else ""
    state = "approval" if s.state == "awaiting_approval" else str(s.state)
    agents = f"{len(s.agents)} agent{'' if len(s.agents) == 1 else 's'}"
    line2 = f"[{style}]{state}[/][$text-muted] · {agents} · {age(s.created_ts, now)}[/]{waiting}"
    return Content.from_markup(f"[{style}]{icon}[/] {title}\n  {line2}")
