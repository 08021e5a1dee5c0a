"""Snapshots of the reducer's state, so a session is folded from its last one, not its start.

A snapshot is the :class:`~sessions.readmodel.views.ConsoleView` that folding the first
``position`` records of one session gives (the session, its pending approvals, the policy
status its records set), taken every :data:`EVERY` records and stored beside the log by the
store (``sessions/store/snapshot_keeper.py``; never part of the hash chain, always rebuildable
from the log). Opening a 100,000-event session then folds one snapshot plus fewer than 5,000
records instead of all of them.

Stored bytes are the view as JSON (``orjson`` writes the frozen dataclasses as they are),
compressed. :func:`version` names the reducer that made them: a hash of the sources of every
module the fold runs through, so a changed reducer, view or event schema ignores old snapshots
instead of trusting them. A snapshot that does not decode, or does not match the records it
claims to stand for, is skipped with a warning in the log and the fold starts from an earlier
one (or from the start): never a crash, never a wrong view. Pure, apart from the read in
:func:`load_state`: no writes (the read model never writes).
"""

from __future__ import annotations

import hashlib
import logging
import types
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from enum import Enum
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Union, get_args, get_origin, get_type_hints

import orjson

from sessions.readmodel.views import ConsoleView
from sessions.store.record import Record

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from sessions.store.snapshot_rows import StoredSnapshot

log = logging.getLogger(__name__)

EVERY = 5000
"""Records of a session between two snapshots: the most a session's fold ever starts behind."""

REDUCER_VERSION = 1
"""Bump to drop every stored snapshot even when no source below changed (a new codec)."""

_FOLD_MODULES = (
    "sessions.lifecycle",
    "sessions.readmodel.events",
    "sessions.readmodel.reducer",
    "sessions.readmodel.snapshots",
    "sessions.readmodel.timeline",
    "sessions.readmodel.view_builders",
    "sessions.readmodel.views",
)
"""The modules a fold runs through; with the event schema's package, their sources make
:func:`version`."""


class SnapshotError(ValueError):
    """A stored snapshot that cannot stand for the records it claims to (corrupt or stale)."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The state after the first ``position`` records of a session, the last of which has
    ``seq`` ``upto_seq``."""

    position: int
    upto_seq: int
    state: ConsoleView


@cache
def version() -> str:
    """The version stored with each snapshot: :data:`REDUCER_VERSION` and a hash of the fold's
    sources (any edit of the reducer, the views or the schema makes old snapshots stale)."""
    digest = hashlib.sha256()
    paths: list[Path] = []
    for name in _FOLD_MODULES:
        paths.append(Path(str(import_module(name).__file__)))
    schema = Path(str(import_module("sessions.schema").__file__)).parent
    paths += sorted(schema.glob("*.py"))
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return f"{REDUCER_VERSION}.{digest.hexdigest()[:16]}"


# -- bytes ------------------------------------------------------------------------------------


def _tuple_as_list(value: object) -> object:
    if isinstance(value, tuple):  # NamedTuples (OpenCall, QueuedMessage): orjson wants help
        return list(value)
    raise TypeError(f"not in a view: {type(value).__name__}")


def encode(state: ConsoleView) -> bytes:
    """The stored form of ``state``: compact JSON, compressed."""
    return zlib.compress(orjson.dumps(state, default=_tuple_as_list), 1)


def decode(blob: bytes) -> ConsoleView:
    """The state ``blob`` holds; :class:`SnapshotError` when it is not one."""
    try:
        data = orjson.loads(zlib.decompress(blob))
        state = _decoder(ConsoleView)(data)
    except (zlib.error, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise SnapshotError(f"does not decode ({type(exc).__name__}: {exc})") from exc
    assert isinstance(state, ConsoleView)
    return state


Decoder = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


@cache
def _decoder(hint: Any) -> Decoder:
    """How to rebuild a value of type ``hint`` from its JSON (by the views' own annotations,
    so a field added to a view is read back without anyone touching this module)."""
    origin, args = get_origin(hint), get_args(hint)
    if hint in (str, int, float, bool, Any) or origin is Literal:
        return _same
    if origin in (Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if len(inner) != 1:
            raise TypeError(f"no snapshot decoder for {hint!r}")
        one = _decoder(inner[0])
        return lambda v: None if v is None else one(v)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            each = _decoder(args[0])
            return lambda v: tuple(each(x) for x in v)
        parts = [_decoder(a) for a in args]
        return lambda v: tuple(p(x) for p, x in zip(parts, v, strict=True))
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint
    if isinstance(hint, type) and is_dataclass(hint):
        return _dataclass_decoder(hint)
    if isinstance(hint, type) and issubclass(hint, tuple) and hasattr(hint, "_fields"):
        hints = get_type_hints(hint)
        parts = [_decoder(hints[name]) for name in hint._fields]
        return lambda v: hint(*(p(x) for p, x in zip(parts, v, strict=True)))
    raise TypeError(f"no snapshot decoder for {hint!r}")


def _dataclass_decoder(cls: type) -> Decoder:
    from sessions.schema.policy import Risk  # views.py names it for type checkers only

    hints = get_type_hints(cls, localns={"Risk": Risk})
    parts = [(f.name, _decoder(hints[f.name])) for f in fields(cls)]

    def build(value: Any) -> Any:
        if len(value) != len(parts):
            raise ValueError(f"{cls.__name__} has {len(parts)} fields, not {len(value)}")
        return cls(**{name: part(value[name]) for name, part in parts})

    return build


# -- folding ----------------------------------------------------------------------------------


def fold_from(
    start: Snapshot | None,
    records: Iterable[Record],
    *,
    every: int = EVERY,
    wanted: Callable[[int], bool] = lambda _position: True,
) -> tuple[Snapshot, list[Snapshot]]:
    """Fold ``records`` (the session's records after ``start``, in order) into ``start``'s
    state (an empty console when ``None``); the state at the end, and a snapshot at every
    multiple of ``every`` passed on the way for which ``wanted(position)`` is true."""
    from sessions.readmodel.reducer import Folder

    folder = Folder(start.state if start is not None else None)
    position = start.position if start is not None else 0
    upto = start.upto_seq if start is not None else 0
    taken: list[Snapshot] = []
    for record in records:
        folder.add(record)
        position += 1
        upto = record.seq
        if position % every == 0 and wanted(position):
            taken.append(Snapshot(position, upto, folder.view()))
    return Snapshot(position, upto, folder.view()), taken


def check(snapshot: Snapshot, session_id: str) -> Snapshot:
    """``snapshot`` if its state is what it claims: one session's fold up to ``upto_seq`` over
    ``position`` records; else :class:`SnapshotError`."""
    state = snapshot.state
    ids = [s.session_id for s in state.sessions]
    if state.last_seq != snapshot.upto_seq or ids != [session_id]:
        raise SnapshotError(f"holds {ids} up to seq {state.last_seq}, not {session_id}")
    if state.sessions[0].event_count != snapshot.position:
        raise SnapshotError(
            f"holds {state.sessions[0].event_count} records, not {snapshot.position}"
        )
    return snapshot


def usable(
    stored: Iterable[StoredSnapshot], session_id: str, *, matches: Callable[[int, int], bool]
) -> list[Snapshot]:
    """The stored snapshots that decode and check out, oldest first; ``matches(position,
    upto_seq)`` says whether the log has that record at that position. Each one skipped is a
    warning in the log (the fold then starts from an earlier one)."""
    found: list[Snapshot] = []
    for row in stored:
        try:
            if not matches(row.position, row.upto_seq):
                raise SnapshotError(f"position {row.position} is not seq {row.upto_seq}")
            found.append(check(Snapshot(row.position, row.upto_seq, decode(row.state)), session_id))
        except SnapshotError as exc:
            log.warning(
                "snapshot of session %s at seq %s skipped, folding from an earlier one: %s",
                session_id,
                row.upto_seq,
                exc,
            )
    found.sort(key=lambda s: s.position)
    return found


def matching(records: Sequence[Record]) -> Callable[[int, int], bool]:
    """``matches`` for :func:`usable` when the session's records are at hand."""
    return lambda position, seq: 0 < position <= len(records) and records[position - 1].seq == seq


# -- reading ----------------------------------------------------------------------------------


def latest(engine: Engine, session_id: str) -> Snapshot | None:
    """The newest stored snapshot of the session that decodes and matches the log (earlier
    ones are tried when it does not), or ``None``."""
    from sessions.store.snapshot_rows import read_snapshots, seq_at

    rows = read_snapshots(engine, session_id, version())
    for row in reversed(rows):  # newest first; each one tried is decoded, not all of them
        here = usable([row], session_id, matches=lambda p, s: seq_at(engine, session_id, p) == s)
        if here:
            return here[0]
    return None


def load_state(engine: Engine, session_id: str) -> tuple[ConsoleView, int]:
    """One session's state now, folded from its newest snapshot and the records after it
    (the whole log when it has none), and the ``seq`` of its last record (0 when none).

    The live console starts a session's fold from here; call it on a worker thread."""
    from sessions.store.reading import load_session

    start = latest(engine, session_id)
    after = start.upto_seq if start is not None else None
    tail = load_session(engine, session_id, after_seq=after, hashes=False)
    end, _ = fold_from(start, tail)
    return end.state, end.upto_seq
