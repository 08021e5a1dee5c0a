"""The composition root: builds the store with its redactor and anchors for a database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from app.paths import data_dir
from sessions.anchors import AnchorLog, anchors_path_for
from sessions.db import database_path, open_engine
from sessions.store import EventStore


def anchors_for(engine: Engine) -> AnchorLog | None:
    """The anchors file of a database (in the data directory), or None for in-memory ones."""
    path = database_path(engine)
    return None if path is None else AnchorLog(anchors_path_for(data_dir(), path))


def open_store(db: str | Path, *, create: bool = True) -> EventStore:
    """An event store on ``db`` with anchors in the data directory."""
    engine = open_engine(db, create=create)
    return EventStore(engine, anchors=anchors_for(engine))
