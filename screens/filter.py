"""``/``: filter the timeline by text, agent and kind."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Select, SelectionList, Static

from screens.widgets.timeline import CATEGORIES, TimelineFilter

__all__ = ["FilterScreen", "TimelineFilter"]


class FilterScreen(ModalScreen[TimelineFilter | None]):
    """Type to filter, pick an agent and kinds; ``enter`` applies, ``escape`` cancels."""

    CSS_PATH = "modals.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="filter.cancel"),
        Binding("ctrl+r", "clear", "Clear", id="filter.clear"),
    ]

    def __init__(self, current: TimelineFilter, agents: list[str]) -> None:
        super().__init__()
        self.current = current
        self.agents = agents

    def compose(self) -> ComposeResult:
        c = self.current
        chosen = c.categories or frozenset()
        with Vertical(classes="dialog filter"):
            yield Static("[b]Filter the timeline[/]", classes="dialog-title")
            yield Input(c.text, placeholder="text in the summary, kind, actor or rule")
            yield Select(
                [(a, a) for a in self.agents],
                value=c.agent or Select.NULL,
                prompt="every agent",
                allow_blank=True,
            )
            yield SelectionList[str](*((cat, cat, cat in chosen) for cat in CATEGORIES))
            yield Static(
                "[b]enter[/] apply  [b]ctrl+r[/] clear  [b]esc[/] cancel", classes="dialog-keys"
            )

    def on_input_submitted(self) -> None:
        self.dismiss(self._value())

    def action_cancel(self) -> None:
        """Close without changing the filter."""
        self.dismiss(None)

    def action_clear(self) -> None:
        """Remove every filter."""
        self.dismiss(TimelineFilter())

    def _value(self) -> TimelineFilter:
        text = self.query_one(Input).value.strip()
        agent = self.query_one(Select).value
        picked = frozenset(self.query_one(SelectionList).selected)
        cats = frozenset(c for c in CATEGORIES if c in picked)
        return TimelineFilter(
            text=text,
            agent=agent if isinstance(agent, str) else None,
            categories=cats or None,
        )
