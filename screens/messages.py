"""Messages from the bridge to the screens: the log moved on, or history is loading."""

from __future__ import annotations

from textual.message import Message

from sessions.readmodel.console_model import Changes


class LogAdvanced(Message):
    """Committed records were folded into the console model (one message per frame)."""

    def __init__(self, changes: Changes) -> None:
        super().__init__()
        self.changes = changes
        """The new view, the new timeline rows per session and the alerts."""


class HistoryProgress(Message):
    """Loading the log's history: ``done`` of ``total`` records folded so far."""

    def __init__(self, done: int, total: int, *, finished: bool = False) -> None:
        super().__init__()
        self.done = done
        """Records folded so far."""
        self.total = total
        """Records to fold (the log's size when loading began)."""
        self.finished = finished
        """The history is loaded: live updates follow."""
