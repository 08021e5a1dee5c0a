"""A guard that records every SQL statement run on the event loop's thread.

Every SQLite connection opened while the guard is installed — SQLAlchemy's pool and the store's
writer connection alike — gets a trace callback. SQLite calls it on the thread that runs the
statement, so a statement on the loop's thread is a database access that blocked drawing.
"""

from __future__ import annotations

import sqlite3
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

OURS = ("/app/", "/screens/", "/agents/", "/sessions/")
"""Frames of these packages are kept in a hit's stack (the rest is Textual and asyncio)."""


@dataclass
class LoopGuard:
    """What ran on ``loop_thread`` (a test's own reads go through ``asyncio.to_thread``)."""

    loop_thread: int
    hits: list[str] = field(default_factory=list)
    statements: int = 0
    """Statements seen on any thread (a guard that sees nothing proves nothing)."""

    def trace(self, statement: str) -> None:
        """SQLite's trace callback: runs on the thread executing ``statement``."""
        self.statements += 1
        if threading.get_ident() != self.loop_thread:
            return
        frames = [f for f in traceback.extract_stack()[:-1] if any(p in f.filename for p in OURS)]
        calls = [f"{f.filename.rsplit('/', 2)[-2]}/{f.name}:{f.lineno}" for f in frames[-6:]]
        self.hits.append(f"{statement.strip()[:80]!r} at {' <- '.join(reversed(calls))}")

    def report(self) -> str:
        """Each statement-and-caller seen on the loop once, with how often."""
        counts: dict[str, int] = {}
        for hit in self.hits:
            counts[hit] = counts.get(hit, 0) + 1
        return "\n".join(f"{n}× {hit}" for hit, n in counts.items())

    def watch(self, connect: Callable[..., sqlite3.Connection]) -> Callable[..., Any]:
        """``connect``, with the trace callback on every connection it makes."""

        def connect_traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
            conn = connect(*args, **kwargs)
            conn.set_trace_callback(self.trace)
            return conn

        return connect_traced


def install(monkeypatch: pytest.MonkeyPatch) -> LoopGuard:
    """Trace every connection opened from now on; the calling thread is the loop's."""
    guard = LoopGuard(threading.get_ident())
    traced = guard.watch(sqlite3.connect)
    # SQLAlchemy connects through ``sqlite3.dbapi2``, the store's writer through ``sqlite3``.
    monkeypatch.setattr(sqlite3, "connect", traced)
    monkeypatch.setattr(sqlite3.dbapi2, "connect", traced)
    return guard
