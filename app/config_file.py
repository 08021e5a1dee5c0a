"""Where ``config.toml`` is and how its errors read; shared by its two readers.

:mod:`app.settings` validates ``[storage]`` with pydantic, :mod:`app.console_settings` the
console's ``[console]``, ``[notify]`` and ``[keymap]`` by hand (the console reads them before its first
paint, which cannot wait for pydantic to load). Neither table's reader imports the other.
"""

from __future__ import annotations

import os
from pathlib import Path

from app.paths import config_dir
from sessions.errors import QuarterdeckError

CONSOLE_TABLES = frozenset({"console", "notify", "keymap"})
"""Tables of ``config.toml`` that ``app/console_settings.py`` validates, not ``app/settings.py``."""


class SettingsError(QuarterdeckError):
    """``config.toml`` is unreadable or invalid; the message names the file and the key."""


def settings_file() -> Path:
    """``QUARTERDECK_CONFIG``, or ``config.toml`` in the config directory."""
    override = os.environ.get("QUARTERDECK_CONFIG")
    return Path(override).expanduser() if override else config_dir() / "config.toml"
