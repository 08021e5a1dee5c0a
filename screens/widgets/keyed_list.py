"""An option list of view values, each keyed by an id, that keeps the highlight across redraws.

The sessions list and the approvals queue both redraw from a new tuple of frozen values (the
reducer never changes old ones); this base keeps the highlighted key, clips prompts to the
current width and draws again when the width changes.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from textual.binding import Binding
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

ItemT = TypeVar("ItemT")


class KeyedList(OptionList, Generic[ItemT]):
    """Subclasses say how an item is keyed and drawn, and what to highlight by default."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.items: tuple[ItemT, ...] = ()
        """What the list shows, in order."""
        self._drawn: list[tuple[str, str]] = []
        """Each option's key and markup as last drawn."""
        self._now = 0.0
        self.border_title = title

    def key(self, item: ItemT) -> str:
        """The item's id (the option's id)."""
        raise NotImplementedError

    def prompt(self, item: ItemT, now: float, width: int) -> str:
        """The item drawn in ``width`` cells at clock time ``now``, as content markup."""
        raise NotImplementedError

    def default_index(self, count: int, first: bool) -> int | None:
        """What to highlight when the highlighted item is gone (``first``: nothing was shown)."""
        return 0

    @property
    def selected_key(self) -> str | None:
        """The highlighted item's key."""
        if self.highlighted is None or not self.items:
            return None
        return self.get_option_at_index(self.highlighted).id

    def show(self, items: tuple[ItemT, ...], now: float, *, force: bool = False) -> bool:
        """Redraw with ``items``, keeping the highlighted key; ``False`` when nothing changed.

        New values whose options read the same as before (a session's event count is not on
        screen) change nothing: replacing the options repaints the whole list, and a running
        session is a new value at every frame.
        """
        if items is self.items and not force:
            return False
        keep, first = self.selected_key, not self.items
        self.items, self._now = items, now
        width = max(16, self.scrollable_content_region.width - 1)
        drawn = [(self.key(item), self.prompt(item, now, width)) for item in items]
        if drawn == self._drawn:  # even when forced (fresh ages that read the same)
            return False
        self._drawn = drawn
        self.set_options([Option(Content.from_markup(markup), id=k) for k, markup in drawn])
        keys = [k for k, _ in drawn]
        if keep in keys:
            self.highlighted = keys.index(keep)
        elif keys and (index := self.default_index(len(keys), first or keep is None)) is not None:
            self.highlighted = index
        return True

    def highlight_key(self, key: str) -> None:
        """Highlight the item with ``key``, if shown."""
        keys = [self.key(item) for item in self.items]
        if key in keys:
            self.highlighted = keys.index(key)

    def on_resize(self) -> None:
        """Prompts are clipped to the width: draw them again at the new one."""
        self.show(self.items, self._now, force=True)
