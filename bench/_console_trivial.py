"""The baseline of ``bench/console.py``: a trivial Textual app, one ``Static``, run as a script."""

from __future__ import annotations

import sys

from textual.app import App, ComposeResult
from textual.widgets import Static

MARK = "trivial textual app"
"""What the first frame shows (the bench waits for it on the screen)."""


class Trivial(App[int]):
    """One line of text; quits on ``ctrl+q`` like the console."""

    def compose(self) -> ComposeResult:
        yield Static(MARK)


if __name__ == "__main__":
    app = Trivial()
    app.run()
    sys.exit(app.return_code or 0)
