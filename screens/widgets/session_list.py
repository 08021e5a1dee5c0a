"""The sessions list: a badge per state, what it cost, its agents, pending approvals and age."""

from __future__ import annotations

from rich.cells import cell_len

from screens.format import STATE_ICON, STATE_STYLE, age, clip, escape, moneys
from screens.widgets.keyed_list import KeyedList
from sessions.lifecycle import SessionState
from sessions.readmodel.views import SessionView


class SessionList(KeyedList[SessionView]):
    """Every session in creation order; the highlighted one is shown in the panels."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Sessions", id=id)
        self.interrupted: frozenset[str] = frozenset()
        """Sessions shown as interrupted: unfinished, and no live process runs them."""

    @property
    def selected_id(self) -> str | None:
        """The highlighted session's id."""
        return self.selected_key

    def key(self, item: SessionView) -> str:
        """A session is keyed by its id."""
        return item.session_id

    def prompt(self, item: SessionView, now: float, width: int) -> str:
        """State badge and title, then state, agents, age and pending approvals."""
        return _prompt(item, now, width, interrupted=item.session_id in self.interrupted)

    def default_index(self, count: int, first: bool) -> int | None:
        """The newest session, on first show or when nothing was highlighted."""
        return count - 1 if first else None

    def show(self, items: tuple[SessionView, ...], now: float, *, force: bool = False) -> bool:
        """Redraw with ``items`` (the newest highlighted when none was)."""
        changed = super().show(items, now, force=force)
        if self.border_subtitle != (count := f"{len(items)}"):  # the setter always repaints
            self.border_subtitle = count
        return changed

    def select_session(self, session_id: str) -> None:
        """Highlight ``session_id`` (from the command palette)."""
        self.highlight_key(session_id)


def _prompt(s: SessionView, now: float, width: int, *, interrupted: bool = False) -> str:
    shown = SessionState.INTERRUPTED if interrupted else s.state
    style = STATE_STYLE.get(shown, "$text")
    icon = STATE_ICON.get(shown, "?")
    title = escape(clip(s.title or s.session_id[:8], width - 2))
    waiting = f" ◆{len(s.pending)}" if s.pending else ""
    drift = " ✘drift" if s.drifted else ""
    state = "approval" if shown == "awaiting_approval" else str(shown)
    if interrupted:
        state = "interrupted · p resumes"
    agents = f"{len(s.agents)} agent{'' if len(s.agents) == 1 else 's'}"
    # The second line never wraps: the least telling parts go first when the list is narrow.
    room = width - 2
    since = age(s.created_ts, now)
    spent = s.spent
    cost = [moneys(spent)] if spent else []
    details = [[*cost, agents, since], [*cost, since], cost, []]
    marks = waiting + drift
    parts = next((d for d in details if cell_len(" · ".join([state, *d]) + marks) <= room), [])
    muted = "".join(f" · {escape(p)}" for p in parts)
    pending = f"[$warning b]{waiting}[/]" if waiting else ""
    drifted = f"[$error b]{drift}[/]" if drift else ""
    line2 = f"[{style}]{state}[/][$text-muted]{muted}[/]{pending}{drifted}"
    return f"[{style}]{icon}[/] {title}\n  {line2}"
