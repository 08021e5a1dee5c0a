"""The console's settings: ``[console]`` and ``[keymap]`` in ``config.toml`` (config dir).

Other tables of the file belong to other parts of Quarterdeck (``[storage]``: ``app/settings.py``,
which also refuses tables nobody reads) and are left alone here. The file and its error are
:mod:`app.config_file`'s, so ``QUARTERDECK_CONFIG`` moves both readers together. A file that
does not parse, an unknown key, or a value of the wrong type is a clear error naming the file
and the key.

Validated by hand, not with pydantic: the console reads these before its first paint, and
loading pydantic would delay that paint by a third (docs/decisions.md D27). Five keys and a
map of strings are all there is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.config_file import SettingsError, settings_file

__all__ = ["ConsoleSettings", "Settings", "SettingsError", "load_settings", "settings_file"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsoleSettings:
    """``[console]``: how the console looks and how it calls for attention."""

    theme: str = "textual-dark"
    """Any Textual theme name (``ctrl+p`` → "Change theme" lists them)."""
    bell: bool = True
    """Ring the terminal bell when an approval arrives or a session fails or is stuck."""
    desktop_notifications: bool = False
    """Also send a desktop notification (``notify-send``) for those events."""
    stuck_after_s: float = 120.0
    """A running session with no event for this long (and no approval pending) is stuck."""


@dataclass(frozen=True, slots=True)
class Settings:
    """The parts of ``config.toml`` the console reads."""

    console: ConsoleSettings = ConsoleSettings()
    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id → keys (comma-separated), e.g. ``approve-once = "y"``."""


def load_settings(path: Path | None = None) -> Settings:
    """The settings in ``path`` (default :func:`settings_file`); defaults when it is missing."""
    path = path or settings_file()
    if not path.exists():
        return Settings()
    import tomllib  # only when there is a file to read

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"{path}: {exc}") from exc
    try:
        return Settings(_console(data.get("console", {})), _keymap(data.get("keymap", {})))
    except _Invalid as exc:
        raise SettingsError(f"{path}: {exc.where}: {exc.message}") from None


class _Invalid(Exception):
    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where, self.message = where, message


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Invalid(where, "should be a table")
    return value


def _console(value: Any) -> ConsoleSettings:
    table = _table(value, "console")
    unknown = sorted(table.keys() - ConsoleSettings.__dataclass_fields__.keys())
    if unknown:
        known = ", ".join(ConsoleSettings.__dataclass_fields__)
        raise _Invalid(f"console.{unknown[0]}", f"unknown key (known: {known})")
    defaults = ConsoleSettings()
    theme = table.get("theme", defaults.theme)
    if not isinstance(theme, str) or not theme:
        raise _Invalid("console.theme", "should be a theme name")
    flags = {}
    for key in ("bell", "desktop_notifications"):
        flag = table.get(key, getattr(defaults, key))
        if not isinstance(flag, bool):
            raise _Invalid(f"console.{key}", "should be true or false")
        flags[key] = flag
    stuck = table.get("stuck_after_s", defaults.stuck_after_s)
    if isinstance(stuck, bool) or not isinstance(stuck, int | float):
        raise _Invalid("console.stuck_after_s", "should be a number of seconds")
    if not stuck > 0:
        raise _Invalid("console.stuck_after_s", "should be greater than 0")
    return ConsoleSettings(
        theme=theme,
        bell=flags["bell"],
        desktop_notifications=flags["desktop_notifications"],
        stuck_after_s=float(stuck),
    )


def _keymap(value: Any) -> dict[str, str]:
    table = _table(value, "keymap")
    for key, keys in table.items():
        if not isinstance(keys, str):
            raise _Invalid(f"keymap.{key}", 'should be keys as a string, e.g. "y" or "y,ctrl+y"')
    return dict(table)
