"""A directory outside /tmp: what a confined agent sees of /tmp is its own, empty one."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def outside_tmp() -> Iterator[Path]:
    """A fresh directory under /var/tmp (or the home directory), removed afterwards."""
    base = Path("/var/tmp") if Path("/var/tmp").is_dir() else Path.home()
    path = Path(tempfile.mkdtemp(prefix="qd-sandbox-unit-", dir=base)).resolve()
    yield path
    shutil.rmtree(path, ignore_errors=True)
