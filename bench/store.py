"""Benchmark the event store against raw sqlite3 on the same disk, in the same run.

Prints three ratios (targets in brackets):
  ingest_ratio  = our batched appends/s  / raw executemany rows/s, one transaction  [>= 0.5]
  durable_ratio = our durable appends/s  / raw per-row commits/s, synchronous=FULL  [>= 0.7]
                  (8 concurrent callers awaiting their own commits; the single-caller figure
                  is printed beside it, see docs/decisions.md)
  replay_ratio  = raw fetchall time      / our load_session time, 100,000 events    [>= 0.5]
  encrypted_ingest_ratio / encrypted_replay_ratio: the same two with every payload sealed
                  (AES-256-GCM, ``[storage] encrypt = true``), against the same baselines
  search_index_ingest_ratio = our ingest / the same without the search index         [>= 0.9]
                  (a flood is committed unindexed and indexed after: docs/decisions.md D28);
                  beside it, ingest with every batch indexed in its own transaction, the
                  catch-up's rate, and a query's time on the indexed log
Payloads are about 500 bytes. ``--json`` prints one JSON object instead of a table.

Inputs (rows for raw, payload models for ours) are built before the clock starts, then the heap
is collected and frozen (``gc.freeze``) so that neither side pays for the garbage collector
scanning the harness's own inputs: 100,000 pre-built models would otherwise make every full
collection in our path cost ~40 ms. A long-running console does the same after start-up.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sessions.schema import AgentMessage
from sessions.store import search_projection
from sessions.store.chain import GENESIS_HASH, canonical_json, record_hash
from sessions.store.crypto import PayloadCipher, attach
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore
from sessions.store.reading import load_session
from sessions.store.search import SearchQuery, search
from sessions.store.writer import INSERT

TEXT = "the quick brown fox jumps over the lazy dog; " * 20


def _settle() -> None:
    """Collect the garbage of building inputs and freeze the survivors out of the GC."""
    gc.collect()
    gc.freeze()


def payload(i: int) -> AgentMessage:
    """An agent message whose stored JSON is about 500 bytes."""
    return AgentMessage(agent_id=f"agent-{i % 5}", text=f"{i:08d} " + TEXT[:460])


def raw_rows(n: int, session_id: str, start_seq: int = 1) -> list[tuple[object, ...]]:
    """Rows of the same shape as ours, serialized and hashed before the clock starts."""
    rows: list[tuple[object, ...]] = []
    prev = GENESIS_HASH
    for i in range(n):
        body = canonical_json(payload(i).to_json_obj()).decode()
        seq = start_seq + i
        ts = "2026-01-01T00:00:00.000000Z"
        digest = record_hash(
            seq=seq,
            session_id=session_id,
            session_seq=i + 1,
            ts=ts,
            actor="agent-1",
            kind="agent.message",
            schema_version=1,
            payload_json=body,
            prev_hash=prev,
        )
        rows.append((seq, session_id, i + 1, ts, "agent-1", "agent.message", 1, body, prev, digest))
        prev = digest
    return rows


def fresh(tmp: Path, name: str) -> Path:
    """A new database file with our schema."""
    path = tmp / name
    for leftover in (path, tmp / f"{name}-wal", tmp / f"{name}-shm"):
        leftover.unlink(missing_ok=True)
    open_engine(path).dispose()
    return path


def raw_executemany(tmp: Path, n: int) -> float:
    """Baseline: raw sqlite3 executemany of pre-built rows in one transaction; rows/s."""
    path = fresh(tmp, "raw-ingest.db")
    rows = raw_rows(n, "s-raw")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=FULL")
    _settle()
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(INSERT, rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return n / elapsed


def cipher() -> PayloadCipher:
    """A cipher with one random data key (the keyring is not what is measured)."""
    return PayloadCipher({1: os.urandom(32)}, 1)


def ours_ingest(tmp: Path, n: int, *, encrypted: bool = False, index: bool = True) -> float:
    """Our fire-and-forget path, end to end: models in, all committed; events/s."""
    path = fresh(tmp, "ours-ingest.db")
    sealed = cipher() if encrypted else None
    store = EventStore(open_engine(path), cipher=sealed, search_index=index)
    payloads = [payload(i) for i in range(n)]
    _settle()
    start = time.perf_counter()
    for p in payloads:
        store.append("s-ours", "agent-1", p)
    store.flush()
    elapsed = time.perf_counter() - start
    store.close()
    return n / elapsed


def ingest_indexed_inline(tmp: Path, n: int) -> float:
    """Our ingest with every batch, however big, indexed in its own transaction: what the
    search index would cost a flood if it were never deferred; events/s."""
    limit = search_projection.INLINE_MAX
    search_projection.INLINE_MAX = n
    try:
        return ours_ingest(tmp, n)
    finally:
        search_projection.INLINE_MAX = limit


def prose(n: int) -> list[AgentMessage]:
    """``n`` messages of about 450 characters drawn from a 20,000-word vocabulary: an index's
    cost grows with distinct words, which the repeated fox sentence would understate."""
    rng = random.Random(15)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = ["".join(rng.choices(letters, k=rng.randint(2, 9))) for _ in range(20_000)]
    return [
        AgentMessage(agent_id=f"agent-{i % 5}", text=" ".join(rng.choices(vocabulary, k=75))[:450])
        for i in range(n)
    ]


def index_catch_up(tmp: Path, n: int) -> tuple[float, float]:
    """A log of ``n`` varied messages written without the index, indexed by a search's
    catch-up: events/s; then the time of one more query on it, in seconds."""
    path = fresh(tmp, "catch-up.db")
    store = EventStore(open_engine(path), search_index=False)
    messages = prose(n)
    for message in messages:
        store.append("s-catch-up", "agent-1", message)
    store.close()
    engine = open_engine(path, create=False)
    words = messages[n // 2].text.split()
    query = SearchQuery(text=f'"{words[1]} {words[2]}" {words[5][:3]}*')
    _settle()
    start = time.perf_counter()
    search(engine, query)
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    search(engine, query)
    queried = time.perf_counter() - start
    engine.dispose()
    return n / elapsed, queried


def raw_durable(tmp: Path, n: int) -> float:
    """Baseline: one INSERT and one COMMIT per row, synchronous=FULL; rows/s."""
    path = fresh(tmp, "raw-durable.db")
    rows = raw_rows(n, "s-raw")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=FULL")
    _settle()
    start = time.perf_counter()
    for row in rows:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(INSERT, row)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return n / elapsed


def ours_durable(tmp: Path, n: int, callers: int) -> float:
    """Our awaitable durable append: ``callers`` tasks (sessions, agents) each awaiting every
    commit of theirs before the next, as the orchestrator does; events/s."""
    path = fresh(tmp, f"ours-durable-{callers}.db")
    store = EventStore(open_engine(path))
    payloads = [payload(i) for i in range(n)]

    async def caller(index: int) -> None:
        for p in payloads[index::callers]:
            await store.append_durable(f"s-ours-{index}", "agent-1", p)

    async def run() -> float:
        _settle()
        start = time.perf_counter()
        await asyncio.gather(*(caller(i) for i in range(callers)))
        return time.perf_counter() - start

    elapsed = asyncio.run(run())
    store.close()
    return n / elapsed


def build_replay_db(tmp: Path, n: int, sealed: PayloadCipher | None = None) -> Path:
    """A log with the target session's n events interleaved 1:1 with other sessions' events."""
    path = fresh(tmp, "replay.db" if sealed is None else "replay-encrypted.db")
    store = EventStore(open_engine(path), batch_max=5000, cipher=sealed)
    for i in range(n):
        store.append("s-target", "agent-1", payload(i))
        store.append(f"s-other-{i % 9}", "agent-2", payload(i))
    store.close()
    return path


def raw_replay(path: Path) -> float:
    """Baseline: raw sqlite3 fetchall of the session's rows in order; seconds."""
    conn = sqlite3.connect(path)
    _settle()
    start = time.perf_counter()
    rows = conn.execute(
        "SELECT * FROM event WHERE session_id = ? ORDER BY session_seq", ("s-target",)
    ).fetchall()
    elapsed = time.perf_counter() - start
    conn.close()
    assert rows
    return elapsed


def ours_replay(path: Path, sealed: PayloadCipher | None = None) -> float:
    """Our load_session (Core rows into Records, decrypted when ``sealed``); seconds."""
    engine = open_engine(path, create=False)
    attach(engine, sealed)
    _settle()
    start = time.perf_counter()
    records = load_session(engine, "s-target")
    elapsed = time.perf_counter() - start
    engine.dispose()
    assert records
    return elapsed


def median_of(runs: int, fn: Callable[[], float]) -> float:
    """The median of ``runs`` measurements."""
    return statistics.median(fn() for _ in range(runs))


def main(argv: list[str] | None = None) -> int:
    """Run the three comparisons and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--events", type=int, default=100_000, help="events for ingest/replay")
    parser.add_argument("--durable", type=int, default=2_000, help="events for durable appends")
    parser.add_argument(
        "--callers", type=int, default=8, help="concurrent durable callers (sessions, agents)"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--dir", type=Path, default=None, help="where to put the databases")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="qd-bench-", dir=args.dir))
    try:
        raw_in = median_of(args.runs, lambda: raw_executemany(tmp, args.events))
        ours_in = median_of(args.runs, lambda: ours_ingest(tmp, args.events))
        raw_du = median_of(args.runs, lambda: raw_durable(tmp, args.durable))
        ours_du = median_of(args.runs, lambda: ours_durable(tmp, args.durable, args.callers))
        ours_du1 = median_of(args.runs, lambda: ours_durable(tmp, args.durable, 1))
        replay_db = build_replay_db(tmp, args.events)
        raw_re = median_of(args.runs, lambda: raw_replay(replay_db))
        ours_re = median_of(args.runs, lambda: ours_replay(replay_db))
        enc_in = median_of(args.runs, lambda: ours_ingest(tmp, args.events, encrypted=True))
        bare_in = median_of(args.runs, lambda: ours_ingest(tmp, args.events, index=False))
        inline_in = median_of(args.runs, lambda: ingest_indexed_inline(tmp, args.events))
        caught_up, query_s = index_catch_up(tmp, args.events)
        sealed = cipher()
        enc_db = build_replay_db(tmp, args.events, sealed)
        enc_re = median_of(args.runs, lambda: ours_replay(enc_db, sealed))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result = {
        "ingest_events_per_s": round(ours_in),
        "raw_executemany_rows_per_s": round(raw_in),
        "ingest_ratio": round(ours_in / raw_in, 3),
        "durable_appends_per_s": round(ours_du),
        "raw_durable_rows_per_s": round(raw_du),
        "durable_ratio": round(ours_du / raw_du, 3),
        "durable_callers": args.callers,
        "durable_single_caller_per_s": round(ours_du1),
        "durable_single_caller_ratio": round(ours_du1 / raw_du, 3),
        "replay_s": round(ours_re, 4),
        "raw_replay_s": round(raw_re, 4),
        "replay_ratio": round(raw_re / ours_re, 3),
        "encrypted_ingest_events_per_s": round(enc_in),
        "encrypted_ingest_ratio": round(enc_in / raw_in, 3),
        "encrypted_replay_s": round(enc_re, 4),
        "encrypted_replay_ratio": round(raw_re / enc_re, 3),
        "ingest_without_search_index_per_s": round(bare_in),
        "search_index_ingest_ratio": round(ours_in / bare_in, 3),
        "ingest_indexed_in_transaction_per_s": round(inline_in),
        "indexed_in_transaction_ratio": round(inline_in / bare_in, 3),
        "search_catch_up_events_per_s": round(caught_up),
        "search_query_s": round(query_s, 4),
        "events": args.events,
        "targets": {
            "ingest_ratio": 0.5,
            "durable_ratio": 0.7,
            "replay_ratio": 0.5,
            "search_index_ingest_ratio": 0.9,
        },
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key in ("ingest", "durable", "replay", "search_index_ingest"):
            ratio = result[f"{key}_ratio"]
            target = result["targets"][f"{key}_ratio"]  # type: ignore[index]
            verdict = "ok" if ratio >= target else "BELOW TARGET"
            print(f"{key}_ratio  {ratio:6.3f}  (target >= {target})  {verdict}")
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
