"""Messages from the bridge to the screens: the log moved on, or a session is loading."""

from __future__ import annotations

from textual.message import Message

from sessions.readmodel.console_model import Changes


class LogAdvanced(Message):
    """Committed records were folded into the console model (one message per frame)."""

    def __init__(self, changes: Changes) -> None:
        super().__init__()
        self.changes = changes
        """The new view, the new timeline rows per session and the alerts."""


class SessionLoading(Message):
    """A session shown for the first time is being folded: ``done`` of ``total`` records."""

    def __init__(self, session_id: str, done: int, total: int, *, finished: bool = False) -> None:
        super().__init__()
        self.session_id = session_id
        """The session being folded."""
        self.done = done
        """Records folded so far."""
        self.total = total
        """Records to fold (the session's count when loading began)."""
        self.finished = finished
        """The fold is over (adopted, stopped or failed)."""
