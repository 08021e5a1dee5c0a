"""Where a fork's copied events happened: its origin's workspace (and its origin's, …).

A fork's log is its own ``session.created`` (naming ``origin``: a session and a ``seq``), then
copies of the origin's events up to that ``seq``, then its own. The copies were decided and run
in the origin's workspace, so that is where they are judged again.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from sessions.store.reading import load_session
from sessions.store.record import Record

MAX_DEPTH = 32
"""Forks of forks followed at most this deep (a log cannot name itself, but a copy could)."""


def _origin(engine: Engine, header: Record) -> list[Record]:
    origin = header.payload.get("origin")
    if not isinstance(origin, dict):
        return []
    return load_session(engine, str(origin["session_id"]), upto_seq=int(origin["seq"]))


def recorded_workspaces(
    engine: Engine, records: Sequence[Record], depth: int = 0
) -> list[tuple[int, str]]:
    """``(first seq, workspace)`` pairs, in ``seq`` order: the workspace each part of the log
    was recorded in (a fork's copies map to their origin's, recursively)."""
    if not records:
        return []
    header = records[0]
    own = str(header.payload.get("workspace") or "")
    source = _origin(engine, header) if depth < MAX_DEPTH else []
    if not source:
        return [(header.seq, own)]
    pairs: list[tuple[int, str]] = []
    for first, workspace in recorded_workspaces(engine, source, depth + 1):
        # The copy of the origin's i-th event is the fork's i-th (both after a header).
        index = max(1, next((i for i, r in enumerate(source) if r.seq >= first), len(source)))
        if index < min(len(source), len(records)):
            pairs.append((records[index].seq, workspace))
    if len(source) < len(records):
        pairs.append((records[len(source)].seq, own))
    return pairs or [(header.seq, own)]


def as_recorded(engine: Engine, records: list[Record]) -> list[Record]:
    """A fork's records arranged for a decision-only re-check: its copied calls were decided
    in its origin's workspace, so they are read as records of the origin (whose
    ``session.created`` goes first), the fork's own after its own header."""
    source = _origin(engine, records[0]) if records else []
    if not source:
        return records
    copies = len(source) - 1
    header = source[0]
    moved = [r._replace(session_id=header.session_id) for r in records[1 : 1 + copies]]
    return [header, *moved, records[0], *records[1 + copies :]]
