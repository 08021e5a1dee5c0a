"""Shared fixtures: every test gets its own data directory and database file."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sessions.store.anchors import AnchorLog
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore

FIXTURES = Path(__file__).parent / "fixtures"
QUARTERDECK = Path(sys.executable).with_name("quarterdeck")


def run_cli(db: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The real ``quarterdeck`` console script in a subprocess, on database ``db``."""
    return subprocess.run(
        [str(QUARTERDECK), "--db", str(db), *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=os.environ.copy(),
        check=False,
    )


@pytest.fixture(autouse=True)
def unfrozen_gc() -> Iterator[None]:
    """Consoles freeze what their history load built (sessions.readmodel.gc_pause); one test's app must
    not stay frozen, and so uncollectable, for the rest of the run."""
    yield
    gc.unfreeze()


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point Quarterdeck's data and config dirs at temp dirs; never touch the user's."""
    data = tmp_path / "data"
    monkeypatch.setenv("QUARTERDECK_DATA_DIR", str(data))
    monkeypatch.setenv("QUARTERDECK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("QUARTERDECK_DB", raising=False)
    return data


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A fresh database file path."""
    return tmp_path / "q.db"


StoreFactory = Callable[..., EventStore]


@pytest.fixture
def make_store(db_path: Path) -> Iterator[StoreFactory]:
    """Build stores on the test's database; all are closed at the end."""
    made: list[EventStore] = []

    def factory(**kwargs: object) -> EventStore:
        kwargs.setdefault("anchors", AnchorLog(db_path.parent / "anchors.jsonl"))
        store = EventStore(open_engine(db_path), **kwargs)  # type: ignore[arg-type]
        made.append(store)
        return store

    yield factory
    for store in made:
        store.close()
