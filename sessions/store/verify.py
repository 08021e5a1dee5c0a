"""``audit verify``: recompute every link of the chain and say where the first one breaks.

Checking only the ends of a chain lets a middle be substituted (immudb's GHSA-672p-m5jq-mrh8),
so every record is rehashed. A deleted tail leaves a shorter chain that still holds; the anchors
(copies of the head kept outside the database) are what catch it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Engine, select

from sessions.store.anchors import Anchor
from sessions.store.chain import GENESIS_HASH
from sessions.store.reading import EVENT_TABLE, iter_log, log_bounds
from sessions.store.record import Record


class Problem(StrEnum):
    """What is wrong at the first bad record."""

    CHANGED = "changed"
    MISSING = "missing"
    REORDERED = "reordered"
    BROKEN_LINK = "broken_link"
    TRUNCATED = "truncated"
    ANCHOR_MISMATCH = "anchor_mismatch"


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyReport:
    """The outcome of a verification: ok, or the first bad seq and what is wrong there."""

    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    bad_seq: int | None = None
    problem: Problem | None = None
    detail: str = ""
    anchors_checked: int = 0


Progress = Callable[[int, int], None]


def verify_chain(
    engine: Engine, *, anchors: Sequence[Anchor] = (), progress: Progress | None = None
) -> VerifyReport:
    """Walk the whole log; every record must rehash to its ``hash`` and link to its predecessor."""
    total, _low, _high = log_bounds(engine)
    expected_seq, prev, checked = 1, GENESIS_HASH, 0
    by_seq: dict[int, str] = {}
    wanted = {a.seq for a in anchors}
    for record in iter_log(engine, stored=True):  # the chain covers the stored bytes: no key
        problem = _check(engine, record, expected_seq, prev=prev)
        if problem is not None:
            kind, detail = problem
            return VerifyReport(
                ok=False,
                checked=checked,
                head_seq=expected_seq - 1,
                head_hash=prev,
                bad_seq=record.seq,
                problem=kind,
                detail=detail,
            )
        if record.seq in wanted:
            by_seq[record.seq] = record.hash
        prev, expected_seq = record.hash, record.seq + 1
        checked += 1
        if progress is not None and checked % 5000 == 0:
            progress(checked, total)
    if progress is not None:
        progress(checked, total)
    head_seq = expected_seq - 1
    for anchor in anchors:
        if anchor.seq > head_seq:
            detail = f"an anchor records seq {anchor.seq} but the log ends at seq {head_seq}"
            return VerifyReport(
                ok=False,
                checked=checked,
                head_seq=head_seq,
                head_hash=prev,
                bad_seq=head_seq + 1,
                problem=Problem.TRUNCATED,
                detail=detail,
                anchors_checked=len(anchors),
            )
        if by_seq.get(anchor.seq) != anchor.hash:
            detail = f"seq {anchor.seq} does not have the hash its anchor recorded (rechained?)"
            return VerifyReport(
                ok=False,
                checked=checked,
                head_seq=head_seq,
                head_hash=prev,
                bad_seq=anchor.seq,
                problem=Problem.ANCHOR_MISMATCH,
                detail=detail,
                anchors_checked=len(anchors),
            )
    return VerifyReport(
        ok=True, checked=checked, head_seq=head_seq, head_hash=prev, anchors_checked=len(anchors)
    )


def _check(
    engine: Engine, record: Record, expected_seq: int, *, prev: str
) -> tuple[Problem, str] | None:
    if record.seq != expected_seq:
        last = record.seq - 1
        gap = f"{expected_seq}" if last == expected_seq else f"{expected_seq}..{last}"
        return Problem.MISSING, (
            f"seq {gap} missing: the log jumps from {expected_seq - 1} to {record.seq}"
        )
    if record.prev_hash != prev:
        elsewhere = _follower_of(engine, prev)
        if elsewhere is not None and elsewhere != record.seq:
            return Problem.REORDERED, (
                f"the record that follows seq {expected_seq - 1} is stored at seq {elsewhere}"
            )
        if record.computed_hash() != record.hash:
            return Problem.CHANGED, _changed(record)
        return Problem.BROKEN_LINK, (
            f"seq {record.seq} does not link to seq {expected_seq - 1}"
            " (a record was removed or the chain rewritten)"
        )
    if record.computed_hash() != record.hash:
        return Problem.CHANGED, _changed(record)
    return None


def _changed(record: Record) -> str:
    return f"seq {record.seq} was changed: its content does not match its hash"


def _follower_of(engine: Engine, prev_hash: str) -> int | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(EVENT_TABLE.c.seq).where(EVENT_TABLE.c.prev_hash == prev_hash)
        ).first()
    return None if row is None else int(row[0])
