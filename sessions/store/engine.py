"""Engines and connections: SQLite in WAL mode, synchronous=FULL, BEGIN IMMEDIATE for writes.

Engines are built by :func:`open_engine`, never at import, so tests and tools each get their own
file. Reads go through SQLAlchemy Core; the one writer thread uses :func:`writer_connection`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlmodel import SQLModel

from sessions.errors import StoreError
from sessions.store.tables import SEARCH_TABLES, TRIGGERS

BUSY_TIMEOUT_MS = 5000
USER_VERSION = 3
"""1: the log and its projections; 2: the search index (created for older databases on
open; filled from their log later, see sessions/store/search_index.py); 3: the usage
projections (created empty: older logs hold no ``agent.usage``)."""


def database_url(target: str | Path) -> str:
    """A SQLAlchemy URL for a path or URL; only SQLite is supported."""
    text = str(target)
    if "://" not in text:
        return "sqlite:///" + str(Path(text).expanduser().resolve())
    try:
        url = make_url(text)
    except ArgumentError as exc:
        raise StoreError(f"not a database path or URL: {text!r}") from exc
    if url.get_backend_name() != "sqlite":
        raise StoreError(f"only SQLite databases are supported, not {url.get_backend_name()!r}")
    return text


def database_path(engine: Engine) -> Path | None:
    """The file behind an engine, or None for an in-memory database."""
    name = engine.url.database
    if not name or name == ":memory:":
        return None
    return Path(name)


def _configure(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # pysqlite's implicit transactions leave SELECTs unisolated: take control of BEGIN ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def open_engine(target: str | Path, *, create: bool = True) -> Engine:
    """An engine on ``target`` (path or URL), with the schema created when ``create`` is set.

    Raises :class:`StoreError` when the file is missing (and ``create`` is off), unreadable, or
    not a Quarterdeck database.
    """
    url = database_url(target)
    path = make_url(url).database
    if path and path != ":memory:":
        file = Path(path)
        if not create and not file.exists():
            raise StoreError(f"no database at {file}")
        file.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _configure)
    event.listen(engine, "begin", _begin)
    try:
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert isinstance(raw, sqlite3.Connection)
            mode = raw.execute("PRAGMA journal_mode=WAL").fetchone()
            if create:
                create_schema(raw)
            elif mode is None:
                raise StoreError(f"{path} is not a SQLite database")
    except (sqlite3.DatabaseError, DBAPIError) as exc:
        engine.dispose()
        reason = getattr(exc, "orig", None) or exc
        raise StoreError(f"cannot open database {path}: {reason}") from exc
    except StoreError:
        engine.dispose()
        raise
    return engine


def create_schema(raw: sqlite3.Connection) -> None:
    """Create or upgrade the schema on a raw connection (see :data:`USER_VERSION`)."""
    version = raw.execute("PRAGMA user_version").fetchone()[0]
    if version > USER_VERSION:
        raise StoreError(
            f"database schema version {version} is newer than this Quarterdeck ({USER_VERSION})"
        )
    if version == USER_VERSION:
        return
    raw.execute("BEGIN IMMEDIATE")
    dialect = sqlite_dialect.dialect()
    try:
        for table in SQLModel.metadata.sorted_tables:
            ddl = str(CreateTable(table, if_not_exists=True).compile(dialect=dialect))
            raw.execute(ddl)
            for index in table.indexes:
                raw.execute(str(CreateIndex(index, if_not_exists=True).compile(dialect=dialect)))
        for trigger in TRIGGERS:
            raw.execute(trigger)
        _create_search_tables(raw)
        raw.execute(f"PRAGMA user_version={USER_VERSION}")
        raw.execute("COMMIT")
    except BaseException:
        raw.execute("ROLLBACK")
        raise


def add_search_index(raw: sqlite3.Connection) -> None:
    """Give an existing database the search index's tables, outside :func:`open_engine`:
    ``quarterdeck search`` opens without ``create`` (it must not make a database), and a
    database of schema 1, or made where SQLite had no FTS5, lacks them."""
    create_schema(raw)
    raw.execute("BEGIN IMMEDIATE")
    try:
        _create_search_tables(raw)
        raw.execute("COMMIT")
    except BaseException:
        raw.execute("ROLLBACK")
        raise


def _create_search_tables(raw: sqlite3.Connection) -> None:
    """The search index's tables; without FTS5 in this SQLite there is no index, and
    ``quarterdeck search`` says so, but the database opens."""
    raw.execute("SAVEPOINT search_tables")
    try:
        for ddl in SEARCH_TABLES:
            raw.execute(ddl)
    except sqlite3.OperationalError as exc:
        if "fts5" not in str(exc):
            raise
        raw.execute("ROLLBACK TO search_tables")
    raw.execute("RELEASE search_tables")


def writer_connection(engine: Engine) -> sqlite3.Connection:
    """A dedicated sqlite3 connection for the writer thread, configured like the pool's."""
    path = engine.url.database or ":memory:"
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    _configure(conn, None)
    # Checkpoints run on their own thread (sessions/store/wal.py), not inside the writer's commits.
    conn.execute("PRAGMA wal_autocheckpoint=0")
    return conn
