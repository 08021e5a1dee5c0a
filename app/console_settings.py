"""The console's settings: ``[console]``, ``[notify]`` and ``[keymap]`` in ``config.toml``.

Other tables of the file belong to other parts of Quarterdeck (``[storage]``: ``app/settings.py``,
which also refuses tables nobody reads) and are left alone here. The file and its error are
:mod:`app.config_file`'s, so ``QUARTERDECK_CONFIG`` moves both readers together. A file that
does not parse, an unknown key, or a value of the wrong type is a clear error naming the file
and the key.

Validated by hand, not with pydantic: the console reads these before its first paint, and
loading pydantic would delay that paint by a third (docs/decisions.md D27). Five keys and a
map of strings are all there is.

``[console]`` once held ``bell``, ``desktop_notifications`` and ``stuck_after_s``; they are
still read there, as the defaults of ``[notify]``'s ``bell``, ``desktop`` and
``stall_after_s``, so an older file keeps working (``[notify]`` wins where both say).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from app.config_file import SettingsError, settings_file

__all__ = [
    "ConsoleSettings",
    "DesktopMode",
    "NotifySettings",
    "Settings",
    "SettingsError",
    "load_settings",
    "settings_file",
]

DesktopMode = Literal["auto", "notify-send", "osc9", "osc777", "off"]
"""How a desktop notification is sent: ``auto`` is ``notify-send`` when it is on PATH, else
the terminal's escape sequence (OSC 777 on VTE terminals, foot and rxvt; OSC 9 elsewhere)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsoleSettings:
    """``[console]``: how the console looks."""

    theme: str = "textual-dark"
    """Any Textual theme name (``ctrl+p`` → "Change theme" lists them)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NotifySettings:
    """``[notify]``: how the console calls for attention when nobody is looking at it."""

    bell: bool = True
    """Ring the terminal bell on a new approval and on every notification below."""
    desktop: DesktopMode = "auto"
    """Where the desktop notification goes (``off``: nowhere, the console only)."""
    approval_after_s: float | None = 60.0
    """Notify when an approval has waited this long (``None``: never; 0: at once)."""
    stall_after_s: float | None = 300.0
    """Notify when a running session has had no event this long (``None``: never)."""
    on_failure: bool = True
    """Notify when a session fails."""


@dataclass(frozen=True, slots=True)
class Settings:
    """The parts of ``config.toml`` the console reads."""

    console: ConsoleSettings = ConsoleSettings()
    notify: NotifySettings = NotifySettings()
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
        console = _table(data.get("console", {}), "console")
        return Settings(
            _console(console),
            _notify(_table(data.get("notify", {}), "notify"), older=console),
            _keymap(data.get("keymap", {})),
        )
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


_OLDER_NAMES = {
    "bell": "bell",
    "desktop_notifications": "desktop",
    "stuck_after_s": "stall_after_s",
}
"""``[console]`` keys that ``[notify]`` took over, and their names there."""


def _unknown(table: dict[str, Any], known: Iterable[str], where: str) -> None:
    unknown = sorted(table.keys() - set(known))
    if unknown:
        raise _Invalid(f"{where}.{unknown[0]}", f"unknown key (known: {', '.join(known)})")


def _console(table: dict[str, Any]) -> ConsoleSettings:
    _unknown(table, [*ConsoleSettings.__dataclass_fields__, *_OLDER_NAMES], "console")
    theme = table.get("theme", ConsoleSettings().theme)
    if not isinstance(theme, str) or not theme:
        raise _Invalid("console.theme", "should be a theme name")
    return ConsoleSettings(theme=theme)


def _notify(table: dict[str, Any], *, older: dict[str, Any]) -> NotifySettings:
    _unknown(table, NotifySettings.__dataclass_fields__, "notify")
    values: dict[str, tuple[str, Any]] = {}  # field → (where it was said, value)
    for old, new in _OLDER_NAMES.items():
        if old in older:
            value = older[old]
            if old == "desktop_notifications" and isinstance(value, bool):
                value = "auto" if value else "off"
            values[new] = (f"console.{old}", value)
    values.update((key, (f"notify.{key}", value)) for key, value in table.items())
    defaults = NotifySettings()
    flags = {}
    for key in ("bell", "on_failure"):
        where, flag = values.get(key, (key, getattr(defaults, key)))
        if not isinstance(flag, bool):
            raise _Invalid(where, "should be true or false")
        flags[key] = flag
    where, desktop = values.get("desktop", ("desktop", defaults.desktop))
    if desktop not in get_args(DesktopMode):
        modes = ", ".join(f'"{m}"' for m in get_args(DesktopMode))
        raise _Invalid(where, f"should be one of {modes}")
    return NotifySettings(
        bell=flags["bell"],
        desktop=desktop,
        approval_after_s=_seconds(values, "approval_after_s", defaults.approval_after_s),
        stall_after_s=_seconds(values, "stall_after_s", defaults.stall_after_s, positive=True),
        on_failure=flags["on_failure"],
    )


def _seconds(
    values: dict[str, tuple[str, Any]], key: str, default: float | None, *, positive: bool = False
) -> float | None:
    """A wait in seconds, or ``false`` for "never". 0 (an approval: at once) only where
    ``positive`` is false: a stall of 0 s would be every quiet moment."""
    where, value = values.get(key, (key, default))
    if value is False or value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid(where, "should be a number of seconds (or false: never)")
    if value < 0 or (positive and value == 0):
        raise _Invalid(where, "should be greater than 0" if positive else "should be at least 0")
    return float(value)


def _keymap(value: Any) -> dict[str, str]:
    table = _table(value, "keymap")
    for key, keys in table.items():
        if not isinstance(keys, str):
            raise _Invalid(f"keymap.{key}", 'should be keys as a string, e.g. "y" or "y,ctrl+y"')
    return dict(table)
