"""Shared fixtures: every test gets its own data directory and database file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sessions.anchors import AnchorLog
from sessions.db import open_engine
from sessions.store import EventStore

FIXTURES = Path(__file__).parent / "fixtures"


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
