"""Quarterdeck's own settings: ``config.toml`` in the config directory (``QUARTERDECK_CONFIG``
overrides the path). Absent means every default. This module reads the ``[storage]`` and
``[logs]`` tables::

    [storage]
    encrypt = true   # seal event payloads with AES-256-GCM, the key in the OS keyring

    [logs]
    agent_stderr_max_bytes = 2097152   # an agent's stderr log rotates at this size
    agent_stderr_backups = 2           # rotated files kept per agent

and only names the console's tables (``[console]``, ``[notify]``, ``[keymap]``), which
``app/console_settings.py`` reads: any other table is an error, so a misspelt ``[storage]``
never silently leaves a database unencrypted.

Policy lives in ``policy.toml`` and teams in ``team.toml``; this file is for how Quarterdeck
itself stores and runs, which no policy reload should change under a running console.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from app.config_file import CONSOLE_TABLES, SettingsError, settings_file

__all__ = [
    "LogSettings",
    "Settings",
    "SettingsError",
    "StorageSettings",
    "load_settings",
    "settings_file",
]


class StorageSettings(BaseModel):
    """``[storage]``: how the event log is kept on disk."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    encrypt: StrictBool = False
    """Seal every new event payload (AES-256-GCM, data keys wrapped by a keyring key)."""


class LogSettings(BaseModel):
    """``[logs]``: how much of what agents print is kept (masked) on disk."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agent_stderr_max_bytes: Annotated[StrictInt, Field(ge=64 * 1024)] = 2 * 1024 * 1024
    """Size at which one agent's stderr log rotates."""
    agent_stderr_backups: Annotated[StrictInt, Field(ge=0, le=20)] = 2
    """Rotated stderr logs kept per agent (``.1`` is the newest)."""


class Settings(BaseModel):
    """``config.toml`` but the console's tables."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    storage: StorageSettings = StorageSettings()
    logs: LogSettings = LogSettings()


def load_settings(path: Path | None = None) -> Settings:
    """The settings in ``path`` (default :func:`settings_file`); defaults when it is absent."""
    target = path if path is not None else settings_file()
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        raise SettingsError(f"cannot read {target}: {exc.strerror}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{target}: not valid TOML: {exc}") from exc
    try:
        return Settings.model_validate(
            {table: value for table, value in data.items() if table not in CONSOLE_TABLES}
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise SettingsError(f"{target}: {where}: {error['msg']}") from exc
