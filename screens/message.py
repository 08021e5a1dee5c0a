"""``m``: a message to an agent (or a human reviewer's comments): one line of text in a modal.

The caller says who will read it; ``enter`` sends, ``escape`` cancels. An empty line is not
sent (the dialog stays open and says so) unless the caller allows it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class MessageScreen(ModalScreen[str | None]):
    """Asks for a line of text; dismisses with it (stripped), or ``None`` when cancelled."""

    CSS_PATH = "modals.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="message.cancel")]

    def __init__(
        self,
        title: str,
        note: str,
        *,
        placeholder: str = "",
        send: str = "send",
        value: str = "",
        allow_empty: bool = False,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.note = note
        self.placeholder = placeholder
        self.send = send
        self.value = value
        """The text to start from (a comment being edited)."""
        self.allow_empty = allow_empty
        """An empty line is an answer too (no overall comment; a comment deleted)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog message"):
            yield Static(f"[b]{self.title_text}[/]", classes="dialog-title", markup=True)
            yield Static(self.note, classes="dialog-body", markup=False)
            yield Input(self.value, placeholder=self.placeholder)
            yield Static("", id="message-error")
            yield Static(f"[b]enter[/] {self.send}  [b]esc[/] cancel", classes="dialog-keys")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text and not self.allow_empty:
            self.query_one("#message-error", Static).update("[$error]Nothing to send.[/]")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        """Close without sending."""
        self.dismiss(None)
