"""The sessions list: a badge per state, its agents, pending approvals and age."""

from __future__ import annotations

from textual.content import Content

from screens.format import STATE_ICON, STATE_STYLE, age, clip, escape
from screens.widgets.keyed_list import KeyedList
from sessions.views import SessionView


class SessionList(KeyedList[SessionView]):
    """Every session in creation order; the highlighted one is shown in the panels."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Sessions", id=id)

    @property
    def selected_id(self) -> str | None:
        """The highlighted session's id."""
        return self.selected_key

    def key(self, item: SessionView) -> str:
        """A session is keyed by its id."""
        return item.session_id

    def prompt(self, item: SessionView, now: float, width: int) -> Content:
        """State badge and title, then state, agents, age and pending approvals."""
        return _prompt(item, now, width)

    def default_index(self, count: int, first: bool) -> int | None:
        """The newest session, on first show or when nothing was highlighted."""
        return count - 1 if first else None

    def show(self, items: tuple[SessionView, ...], now: float, *, force: bool = False) -> bool:
        """Redraw with ``items`` (the newest highlighted when none was)."""
        changed = super().show(items, now, force=force)
        self.border_subtitle = f"{len(items)}"
        return changed

    def select_session(self, session_id: str) -> None:
        """Highlight ``session_id`` (from the command palette)."""
        self.highlight_key(session_id)


def _prompt(s: SessionView, now: float, width: int) -> Content:
    style = STATE_STYLE.get(s.state, "$text")
    icon = STATE_ICON.get(s.state, "?")
    title = escape(clip(s.title or s.session_id[:8], width - 2))
    waiting = f" [$warning b]◆{len(s.pending)}[/]" if s.pending else ""
    state = "approval" if s.state == "awaiting_approval" else str(s.state)
    agents = f"{len(s.agents)} agent{'' if len(s.agents) == 1 else 's'}"
    line2 = f"[{style}]{state}[/][$text-muted] · {agents} · {age(s.created_ts, now)}[/]{waiting}"
    return Content.from_markup(f"[{style}]{icon}[/] {title}\n  {line2}")
