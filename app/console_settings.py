"""The console's settings: ``[console]`` and ``[keymap]`` in ``config.toml`` (config dir).

Other tables of the file belong to other parts of Quarterdeck (``[storage]``: ``app/settings.py``,
which also refuses tables nobody reads) and are left alone here. The file and its error are
``app/settings.py``'s, so ``QUARTERDECK_CONFIG`` moves both readers together. A file that does
not parse, or a value of the wrong type, is a clear error naming the file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.settings import SettingsError, settings_file

__all__ = ["ConsoleSettings", "Settings", "SettingsError", "load_settings", "settings_file"]


class ConsoleSettings(BaseModel):
    """``[console]``: how the console looks and how it calls for attention."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    theme: str = "textual-dark"
    """Any Textual theme name (``ctrl+p`` → "Change theme" lists them)."""
    bell: bool = True
    """Ring the terminal bell when an approval arrives or a session fails or is stuck."""
    desktop_notifications: bool = False
    """Also send a desktop notification (``notify-send``) for those events."""
    stuck_after_s: float = Field(default=120.0, gt=0)
    """A running session with no event for this long (and no approval pending) is stuck."""


class Settings(BaseModel):
    """The parts of ``config.toml`` the console reads."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    console: ConsoleSettings = ConsoleSettings()
    keymap: dict[str, str] = {}
    """Binding id → keys (comma-separated), e.g. ``approve-once = "y"``."""


def load_settings(path: Path | None = None) -> Settings:
    """The settings in ``path`` (default :func:`settings_file`); defaults when it is missing."""
    path = path or settings_file()
    if not path.exists():
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"{path}: {exc}") from exc
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SettingsError(f"{path}: {where}: {first['msg']}") from exc
