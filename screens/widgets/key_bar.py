"""The key bar: the bindings in force, one line at the bottom, each clickable.

Textual's ``Footer`` composes a widget per key, and only once the screen has published its
bindings — a frame or more after the first, and 14 ms of composing each time the focus moves.
The console's first complete frame waited 60 ms for it. This bar is one line of text: it is in
the first frame, and redrawing it when the bindings change costs a string.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from screens.format import escape


class KeyBar(Static):
    """The active bindings that ask to be shown, as ``key description`` pairs; the command
    palette's key at the end. Clicking a pair presses its key."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-description-foreground;
    }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._draw()

    def _bindings_changed(self, _screen: Screen[object]) -> None:
        self._draw()

    def _draw(self) -> None:
        parts: list[str] = []
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            key = binding.key.split(",")[0]
            shown = escape(self.app.get_key_display(binding))
            style = "$footer-key-foreground" if active.enabled else "$text-disabled"
            parts.append(
                f"[@click=app.simulate_key({key!r})][b {style}] {shown}[/] "
                f"{escape(binding.description)}[/]"
            )
        if self.app.ENABLE_COMMAND_PALETTE:
            palette = Binding(self.app.COMMAND_PALETTE_BINDING, "command_palette")
            parts.append(
                f"[@click=app.command_palette][b $footer-key-foreground] "
                f"{escape(self.app.get_key_display(palette))}[/] palette[/]"
            )
        self.update(" ".join(parts), layout=False)
