"""The stylesheets of the screens the console can open on, named once for the screen and the app.

The app reads a first screen's sheets when it starts (``App(css_path=...)``): left to the
screen's own ``CSS_PATH``, Textual would read them when the screen is pushed and re-parse the
whole stylesheet, which costs the first paint a fifth. A sheet already read is not read again,
so the app's list and the screen's ``CSS_PATH`` must be the same list: this one. Modals keep
theirs, read when they first open.
"""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Literal

HERE = Path(__file__).parent
DASHBOARD: list[str | PurePath] = ["widgets.tcss", "dashboard.tcss"]
"""The dashboard's sheets, relative to this package (its ``CSS_PATH``)."""
REPLAY: list[str | PurePath] = ["widgets.tcss", "replay.tcss"]
"""The replay screen's sheets, relative to this package (its ``CSS_PATH``)."""

FirstScreen = Literal["dashboard", "replay"]
"""The screens a console can open on."""


def first_stylesheets(first: FirstScreen) -> list[str | PurePath]:
    """The absolute paths of the sheets the app reads at start for its ``first`` screen."""
    names = DASHBOARD if first == "dashboard" else REPLAY
    return [HERE / name for name in names]
