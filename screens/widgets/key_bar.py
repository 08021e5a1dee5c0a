"""The key bar: the bindings in force, one line at the bottom, each clickable.

Textual's ``Footer`` composes a widget per key, and only once the screen has published its
bindings — a frame or more after the first, and 14 ms of composing each time the focus moves.
The console's first complete frame waited 60 ms for it. This bar is one line of text: it is in
the first frame, and redrawing it when the bindings change costs a string.

When the keys do not fit the width, the ones named in ``ALWAYS_SHOWN`` (quit, help, the
palette) stay and the others are dropped from the end, so a narrow terminal still says how to
leave and where the rest of the keys are listed.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from screens.format import escape

ALWAYS_SHOWN = frozenset({"quit", "help"})
"""Binding ids kept on the bar whatever the width: how to leave, and where every key is (a
screen's own ``….close`` and ``….cancel`` keys are kept too)."""


def _kept(binding_id: str | None) -> bool:
    if binding_id is None:
        return False
    screen_scoped, _, name = binding_id.rpartition(".")
    return binding_id in ALWAYS_SHOWN or (bool(screen_scoped) and name in {"close", "cancel"})


@dataclass(frozen=True)
class _Part:
    markup: str
    width: int
    kept: bool


def fit(parts: list[_Part], width: int) -> list[_Part]:
    """The parts to show in ``width`` cells: every kept one, then the others in order while
    they fit (each part is followed by one space)."""
    room = width - sum(p.width + 1 for p in parts if p.kept)
    shown: list[_Part] = []
    for part in parts:
        if part.kept:
            shown.append(part)
        elif part.width + 1 <= room:
            shown.append(part)
            room -= part.width + 1
        else:
            room = -1  # keep the order readable: once one is dropped, drop the rest too
    return shown


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

    def on_resize(self, _event: events.Resize) -> None:
        self._draw()

    def _draw(self) -> None:
        parts: list[_Part] = []
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            key = binding.key.split(",")[0]
            shown = escape(self.app.get_key_display(binding))
            style = "$footer-key-foreground" if active.enabled else "$text-disabled"
            markup = (
                f"[@click=app.simulate_key({key!r})][b {style}] {shown}[/] "
                f"{escape(binding.description)}[/]"
            )
            width = cell_len(shown) + 2 + cell_len(binding.description)
            parts.append(_Part(markup, width, kept=_kept(binding.id)))
        if self.app.ENABLE_COMMAND_PALETTE:
            palette = Binding(self.app.COMMAND_PALETTE_BINDING, "command_palette")
            shown = self.app.get_key_display(palette)
            markup = (
                f"[@click=app.command_palette][b $footer-key-foreground] "
                f"{escape(shown)}[/] palette[/]"
            )
            parts.append(_Part(markup, cell_len(shown) + 2 + len("palette"), kept=True))
        width = self.size.width or self.app.size.width
        self.update(" ".join(p.markup for p in fit(parts, width)), layout=False)
