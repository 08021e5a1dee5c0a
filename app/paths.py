"""Where Quarterdeck keeps things: config and data directories, the default database."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "quarterdeck"


def data_dir() -> Path:
    """The data directory (database, anchors, logs): ``QUARTERDECK_DATA_DIR`` or the user's."""
    override = os.environ.get("QUARTERDECK_DATA_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs  # only without the override: it is a slice of the console's start-up

    return platformdirs.user_data_path(APP_NAME)


def checkpoints_dir() -> Path:
    """Where the shadow git repositories of workspaces live: ``<data dir>/checkpoints``."""
    return data_dir() / "checkpoints"


def config_dir() -> Path:
    """The config directory (policy.toml, team.toml): ``QUARTERDECK_CONFIG_DIR`` or the user's."""
    override = os.environ.get("QUARTERDECK_CONFIG_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return platformdirs.user_config_path(APP_NAME)


def default_db() -> str:
    """The database to use when ``--db`` is not given: ``QUARTERDECK_DB`` or the data dir's."""
    return os.environ.get("QUARTERDECK_DB") or str(data_dir() / "quarterdeck.db")
