"""Benchmark the ACP backend against the bare event store, in the same run.

Prints two comparisons (targets in brackets):
  chunks    one demo agent process streaming N ``agent_message_chunk`` updates in one turn,
            driven by ``AcpAgent`` with a real store and the real gate: chunks/s from
            ``prompt()`` to every ``agent.message`` committed                       [>= 5,000/s]
            baseline: N ``store.append`` of the same ``AgentMessage`` payloads, no agent, so
            ``chunks_ratio`` is the share of the bare store's rate the protocol leaves us.
            (Each chunk also writes its raw frame, so ours commits about 2N events.)
  tool call ``AuthGate.authorize`` of an allowed ``ls`` in a workspace plus a durable
            ``tool.intent`` and the ``tool.result`` that joins the next commit — what the
            executor adds around every command — with correlation on: the call is first matched to the permission the
            agent asked for it (a permit left by the permission step, untimed) and rides on
            it; median and p99 ms over M calls                                [median <= 2 ms]
            baseline: one durable append alone. Also shown: the same call with no permit to
            match (correlation off), and a call whose verdict is "ask" answered by the
            approval it rides on (two ``policy.decided``, one of them durable).
  start     the sandbox's start cost: one demo agent from spawn to ``session/new`` answered,
            under bubblewrap (the team's default) and unconfined, alternating, median of R
            runs each; ``start_ratio`` is sandboxed / unconfined (no target: it is paid once
            per agent, not per call).
``--json`` prints one JSON object instead of a table.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.approvals.broker import ApprovalBroker
from agents.auth.gate import AuthGate, Precedent, ToolCall
from agents.auth.holder import PolicyHolder
from agents.auth.requests import ToolKind, ToolRequest
from agents.backends.acp import AcpAgent
from agents.backends.correlation import Permits, permit_for
from agents.backends.spec import AgentSpec
from agents.orchestrator.agent_launch import agent_spec
from agents.sandbox.host import UNCONFINED, Confinement, SandboxHost
from agents.sandbox.plan import secret_globs
from agents.team import Backend, RoleConfig, SandboxSettings
from sessions.schema import AgentMessage
from sessions.schema.tools import ToolIntent, ToolResult
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore
from sessions.store.record import Record

CHUNK = 40
"""Characters per message chunk: a few tokens, as real agents stream them."""

CHUNKS_TARGET = 5_000.0
GATE_MEDIAN_TARGET_MS = 2.0


def chunk_texts(n: int) -> list[str]:
    """``n`` distinct chunks of exactly ``CHUNK`` characters."""
    filler = "the quick brown fox jumps over the lazy dog " * 2
    return [(f"{i:08d} " + filler)[:CHUNK] for i in range(n)]


def write_playbook(path: Path, texts: list[str]) -> None:
    """A demo playbook with one message step streaming ``texts`` one chunk each, no pauses."""
    lines = ['name = "bench-burst"', "", "[[steps]]", 'kind = "message"']
    lines += [f"text = {json.dumps(''.join(texts))}", f"chunk = {CHUNK}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def new_store(tmp: Path, name: str) -> EventStore:
    """A store on a fresh database file."""
    return EventStore(open_engine(tmp / name))


def gate_for(store: EventStore) -> AuthGate:
    """The real gate on the built-in default policy."""
    holder = PolicyHolder(None)
    holder.load()
    return AuthGate(holder, store, ApprovalBroker(store, timeout_s=60))


async def agent_chunks(tmp: Path, n: int) -> float:
    """Ours: chunks/s from ``prompt()`` until every ``agent.message`` is committed."""
    texts = chunk_texts(n)
    playbook = tmp / "burst.toml"
    write_playbook(playbook, texts)
    workspace = tmp / "ws"
    workspace.mkdir(exist_ok=True)
    store = new_store(tmp, "agent.db")
    seen = 0

    def count(batch: Sequence[Record]) -> None:
        nonlocal seen
        seen += sum(1 for r in batch if r.kind == "agent.message")

    store.subscribe(count)
    role = RoleConfig(backend=Backend.DEMO, playbook=str(playbook), speed=0)
    agent = AcpAgent(
        agent_spec("implementer", role),
        session_id="s-bench",
        agent_id="impl-1",
        role="implementer",
        workspace=workspace,
        store=store,
        gate=gate_for(store),
        log_dir=tmp / "logs",
    )
    try:
        await agent.start()
        gc.collect()
        start = time.perf_counter()
        reason = await agent.prompt("go")
        await asyncio.to_thread(store.flush)
        elapsed = time.perf_counter() - start
    finally:
        await agent.stop()
        store.close()
    if reason != "end_turn" or seen != n:
        raise SystemExit(f"bench: the turn ended {reason!r} with {seen} of {n} messages logged")
    return n / elapsed


def store_chunks(tmp: Path, n: int) -> float:
    """Baseline: ``n`` appends of the same payloads straight into the store; appends/s."""
    payloads = [AgentMessage(agent_id="impl-1", text=t) for t in chunk_texts(n)]
    store = new_store(tmp, "bare.db")
    gc.collect()
    start = time.perf_counter()
    for p in payloads:
        store.append("s-bench", "impl-1", p)
    store.flush()
    elapsed = time.perf_counter() - start
    store.close()
    return n / elapsed


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000


async def gate_and_journal(
    tmp: Path, calls: int, *, command: str = "ls", correlated: bool = True
) -> tuple[float, float]:
    """Ours: match a permit (if ``correlated``), authorize, durable intent and result; ms.

    Correlated, the command runs as fast-agent sends it (``/bin/sh -lc '…'``) after a
    permission request for the bare command; uncorrelated, it is the bare command alone.
    """
    workspace = tmp / "gate-ws"
    workspace.mkdir(exist_ok=True)
    store = new_store(tmp, f"gate-{command.split()[0]}-{int(correlated)}.db")
    gate = gate_for(store)
    request = ToolRequest(
        tool=ToolKind.EXECUTE,
        role="implementer",
        workspace=workspace,
        command=f"/bin/sh -lc {shlex.quote(command)}" if correlated else command,
        cwd=workspace,
    )
    asked = ToolRequest(
        tool=ToolKind.EXECUTE, role="implementer", workspace=workspace, command=command
    )
    permits = Permits()
    samples: list[float] = []
    try:
        for i in range(calls + 10):  # the first 10 warm the caches and are not counted
            call_id = f"term-{i}"
            if correlated:  # what the permission step leaves behind, approved by a human
                precedent = Precedent(call_id=f"tc-{i}", allowed=True, approval_id=f"ap-{i}")
                permit = permit_for(f"tc-{i}", asked, precedent)
                assert permit is not None
                permits.grant(permit)
            start = time.perf_counter()
            rides_on = permits.match(request)
            if correlated and rides_on is None:
                raise SystemExit(f"bench: `{command}` did not match its permit")
            call = ToolCall(
                session_id="s-gate",
                agent_id="impl-1",
                call_id=call_id,
                request=request,
                summary=command,
                rides_on=rides_on,
            )
            auth = await gate.authorize(call)
            if not auth.allowed:
                raise SystemExit(f"bench: `{command}` was not allowed: {auth.reason}")
            intent = ToolIntent(
                call_id=call_id, idempotency_key=f"k-{i}", action="execute", argv=["ls"]
            )
            await store.append_durable("s-gate", "impl-1", intent)
            result = ToolResult(
                call_id=call_id, idempotency_key=f"k-{i}", status="completed", exit_code=0
            )
            store.append("s-gate", "impl-1", result)  # as the executor does: the next commit
            if i >= 10:
                samples.append(time.perf_counter() - start)
    finally:
        store.close()
    return _ms(samples)


async def durable_alone(tmp: Path, calls: int) -> tuple[float, float]:
    """Baseline: one durable ``tool.intent`` append; median, p99 ms."""
    store = new_store(tmp, "durable.db")
    samples: list[float] = []
    try:
        for i in range(calls + 10):
            intent = ToolIntent(
                call_id=f"term-{i}", idempotency_key=f"k-{i}", action="execute", argv=["ls"]
            )
            start = time.perf_counter()
            await store.append_durable("s-durable", "impl-1", intent)
            if i >= 10:
                samples.append(time.perf_counter() - start)
    finally:
        store.close()
    return _ms(samples)


def _demo(tmp: Path) -> AgentSpec:
    role = RoleConfig(backend=Backend.DEMO, playbook=str(tmp / "burst.toml"), speed=0)
    return agent_spec("implementer", role)


async def _start_once(tmp: Path, store: EventStore, sandbox: Confinement, n: int) -> float:
    """Seconds from spawning a demo agent until its ``session/new`` is answered."""
    agent = AcpAgent(
        _demo(tmp),
        session_id=f"s-start-{n}",
        agent_id="impl-1",
        role="implementer",
        workspace=tmp / "start-ws",
        store=store,
        gate=gate_for(store),
        log_dir=tmp / "logs",
        sandbox=sandbox,
    )
    start = time.perf_counter()
    try:
        await agent.start()
        return time.perf_counter() - start
    finally:
        await agent.stop()


async def start_cost(tmp: Path, runs: int) -> tuple[float, float]:
    """Median start seconds of a demo agent, sandboxed and unconfined, measured alternately."""
    write_playbook(tmp / "burst.toml", chunk_texts(1))
    (tmp / "start-ws").mkdir(exist_ok=True)
    store = new_store(tmp, "start.db")
    holder = PolicyHolder(None)
    holder.load()
    host = SandboxHost(secret_globs=lambda: secret_globs(holder.current), scratch=tmp / "sb")
    probe = await host.ready()
    if not probe.available:
        raise SystemExit(f"bench: no sandbox to measure: {probe.reason}")
    spec = _demo(tmp)
    confined = host.confine(
        SandboxSettings(kind="bwrap"),
        workspace=tmp / "start-ws",
        env={},
        argv=(spec.command, *spec.args),
    )
    timings: dict[str, list[float]] = {"bwrap": [], "none": []}
    try:
        for n in range(runs + 1):  # the first pair warms the page cache and is not counted
            for kind, sandbox in (("bwrap", confined), ("none", UNCONFINED)):
                elapsed = await _start_once(tmp, store, sandbox, n)
                if n:
                    timings[kind].append(elapsed)
    finally:
        store.close()
    return statistics.median(timings["bwrap"]), statistics.median(timings["none"])


def main(argv: list[str] | None = None) -> int:
    """Run both comparisons and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--chunks", type=int, default=20_000, help="message chunks in the turn")
    parser.add_argument("--calls", type=int, default=500, help="tool calls through the gate")
    parser.add_argument("--starts", type=int, default=7, help="agent starts per sandbox mode")
    parser.add_argument("--dir", type=Path, default=None, help="where to put the databases")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="qd-bench-agents-", dir=args.dir))
    try:
        bare = store_chunks(tmp, args.chunks)
        ours = asyncio.run(agent_chunks(tmp, args.chunks))
        gate_median, gate_p99 = asyncio.run(gate_and_journal(tmp, args.calls))
        plain_median, plain_p99 = asyncio.run(gate_and_journal(tmp, args.calls, correlated=False))
        ask_median, ask_p99 = asyncio.run(
            gate_and_journal(tmp, args.calls, command="rm -f scratch.txt")
        )
        base_median, base_p99 = asyncio.run(durable_alone(tmp, args.calls))
        sandboxed, unconfined = asyncio.run(start_cost(tmp, args.starts))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result = {
        "chunks": args.chunks,
        "chunk_chars": CHUNK,
        "agent_chunks_per_s": round(ours),
        "store_appends_per_s": round(bare),
        "chunks_ratio": round(ours / bare, 3),
        "calls": args.calls,
        "gate_journal_median_ms": round(gate_median, 3),
        "gate_journal_p99_ms": round(gate_p99, 3),
        "uncorrelated_median_ms": round(plain_median, 3),
        "uncorrelated_p99_ms": round(plain_p99, 3),
        "rides_on_approval_median_ms": round(ask_median, 3),
        "rides_on_approval_p99_ms": round(ask_p99, 3),
        "durable_append_median_ms": round(base_median, 3),
        "durable_append_p99_ms": round(base_p99, 3),
        "gate_journal_ratio": round(gate_median / base_median, 3),
        "starts": args.starts,
        "start_sandboxed_ms": round(sandboxed * 1000, 1),
        "start_unconfined_ms": round(unconfined * 1000, 1),
        "start_ratio": round(sandboxed / unconfined, 3),
        "targets": {
            "agent_chunks_per_s": CHUNKS_TARGET,
            "gate_journal_median_ms": GATE_MEDIAN_TARGET_MS,
        },
    }
    if args.json:
        print(json.dumps(result))
        return 0
    chunks_ok = "ok" if ours >= CHUNKS_TARGET else "BELOW TARGET"
    gate_ok = "ok" if gate_median <= GATE_MEDIAN_TARGET_MS else "ABOVE TARGET"
    print(f"{'measure':<28}{'ours':>14}{'baseline':>14}{'ratio':>8}  target")
    print(
        f"{'chunks/s (agent → log)':<28}{ours:>14,.0f}{bare:>14,.0f}"
        f"{ours / bare:>8.3f}  >= {CHUNKS_TARGET:,.0f}/s  {chunks_ok}"
    )
    print(
        f"{'tool call median ms':<28}{gate_median:>14.3f}{base_median:>14.3f}"
        f"{gate_median / base_median:>8.3f}  <= {GATE_MEDIAN_TARGET_MS} ms  {gate_ok}"
    )
    print(f"{'tool call p99 ms':<28}{gate_p99:>14.3f}{base_p99:>14.3f}")
    print(f"{'  uncorrelated median ms':<28}{plain_median:>14.3f}{base_median:>14.3f}")
    print(f"{'  ask, rides: median ms':<28}{ask_median:>14.3f}{base_median:>14.3f}")
    print(
        f"{'agent start ms (bwrap/none)':<28}{sandboxed * 1000:>14.1f}{unconfined * 1000:>14.1f}"
        f"{sandboxed / unconfined:>8.3f}  once per agent"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
