"""Benchmark the policy gate's decisions and ``policy diff`` over a large recorded log.

Decisions: the default policy, role implementer, a fixed mix of realistic agent requests —
60 % simple everyday commands, 25 % compound ones (``&&``, ``|``, ``$(…)``), 15 % file tool
requests — timed one decision at a time (target: p99 < 1 ms). Twice: with the shell analysis
cache warm (the same requests again, as in a session), and for first-seen requests (every
command text new, so nothing is cached).

Diff: a temporary database holding one session with 100,000 tool calls and their recorded
decisions (written through the store), re-decided under a modified default policy exactly as
``quarterdeck policy diff`` does it. Beside it, in the same run, the time to merely read those
records with ``iter_log``: the ratio says what the re-decision itself costs.

``--json`` prints one JSON object instead of a table.
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.auth.canary import DiffSummary, redecide
from agents.auth.compiled import LoadedPolicy
from agents.auth.engine import decide
from agents.auth.loader import default_policy, load_policy_text
from agents.auth.requests import ToolKind, ToolRequest
from sessions.schema import AgentStarted, PolicyDecided, SessionCreated, ToolCallRequested
from sessions.schema.policy import DecisionSource
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore
from sessions.store.reading import iter_log

ROLE = "implementer"
#: Simple everyday commands; `{n}` varies the text so "first-seen" really is first seen.
SIMPLE = [
    "git status",
    "git diff --stat",
    "git log --oneline -{n}",
    "ls -la src",
    "cat README.md",
    "sed -n '{n},+40p' src/app.py",
    "grep -rn 'TODO{n}' src",
    "rg -n 'def handler_{n}' src tests",
    "pytest -q tests/test_app.py -k case_{n}",
    "ruff check src",
    "head -n {n} src/app.py",
    "find src -name '*.py' -newer README.md",
    "wc -l src/app.py",
    "python -m pytest -x -q",
    "git show HEAD~{n} --stat",
    "rm -f build/out_{n}.log",
    "git add src/app.py",
    "git commit -m 'fix case {n}'",
    "mkdir -p build/tmp_{n}",
    "curl -s https://example.com/api/{n}",
]
#: Compound commands: chains, pipes and command substitutions.
COMPOUND = [
    "cd src && ls -la && git status",
    "git diff | head -{n}",
    "cat src/app.py | grep -n 'import' | sort | uniq -c",
    "pytest -q && ruff check src && mypy src",
    "echo $(git rev-parse HEAD) > build/rev_{n}.txt",
    "find . -name '*.py' | xargs wc -l",
    "git log --format='%h %s' -{n} | cut -c1-60",
    "ls tests || echo 'no tests {n}'",
]
#: File tool requests (ACP read/edit/search with paths).
FILES: list[tuple[ToolKind, str]] = [
    (ToolKind.READ, "src/app.py"),
    (ToolKind.EDIT, "src/module_{n}.py"),
    (ToolKind.READ, "~/.ssh/id_rsa"),
    (ToolKind.SEARCH, "tests"),
]
#: Per 20 requests: 12 simple, 5 compound, 3 file tool requests (60 / 25 / 15 %).
SHARE = (12, 5, 3)
#: The diff's candidate: the default policy with one rule stricter and one looser.
CHANGES = [
    ('id = "file-removal"\ndecision = "ask"', 'id = "file-removal"\ndecision = "deny"'),
    ('id = "network"\ndecision = "ask"', 'id = "network"\ndecision = "allow"'),
]


def _settle() -> None:
    """Collect the set-up's garbage and freeze the survivors, as bench/store.py does."""
    gc.collect()
    gc.freeze()


def make_workspace(root: Path) -> tuple[Path, Path]:
    """A small project (and a home directory) for the requests to be judged in."""
    ws, home = root / "ws", root / "home"
    for d in (ws / "src", ws / "tests", ws / "build", home / ".ssh"):
        d.mkdir(parents=True)
    for f in (ws / "README.md", ws / "src" / "app.py", ws / "tests" / "test_app.py"):
        f.write_text("x = 1\n")
    return ws, home


def mix(n: int, ws: Path) -> list[ToolRequest]:
    """20 requests in the 60/25/15 proportions, with `{n}` filled in, judged in `ws`."""
    simple, compound, files = SHARE
    commands = [SIMPLE[(i + n) % len(SIMPLE)] for i in range(simple)]
    commands += [COMPOUND[(i + n) % len(COMPOUND)] for i in range(compound)]
    out = [
        ToolRequest(tool=ToolKind.EXECUTE, role=ROLE, workspace=ws, command=_fill(c, n))
        for c in commands
    ]
    for i in range(files):
        tool, path = FILES[(i + n) % len(FILES)]
        out.append(ToolRequest(tool=tool, role=ROLE, workspace=ws, paths=(_fill(path, n),)))
    return out


def _fill(text: str, n: int) -> str:
    return text.replace("{n}", str(n))


def latencies(
    policy: LoadedPolicy, requests: list[ToolRequest], protected: tuple[Path, ...], home: Path
) -> list[float]:
    """Milliseconds for each decision, in order."""
    out: list[float] = []
    clock = time.perf_counter_ns
    for request in requests:
        start = clock()
        decide(policy, request, protected=protected, home=home)
        out.append((clock() - start) / 1e6)
    return out


def describe(ms: list[float]) -> dict[str, float]:
    """Decisions per second and p50/p99/max latency of a run."""
    ordered = sorted(ms)
    return {
        "decisions": len(ms),
        "per_s": round(len(ms) / (sum(ms) / 1000)),
        "p50_ms": round(statistics.median(ordered), 4),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 4),
        "max_ms": round(ordered[-1], 4),
    }


def bench_decisions(root: Path, count: int) -> dict[str, dict[str, float]]:
    """Warm-cache and first-seen decisions of the mix."""
    ws, home = make_workspace(root)
    policy = default_policy()
    protected = (root / "config", root / "data")
    warm = [r for n in range(10) for r in mix(n, ws)]
    latencies(policy, warm, protected, home)  # fill the caches
    warm_run = [warm[i % len(warm)] for i in range(count)]
    cold_run = [r for n in range(10_000, 10_000 + count // 20) for r in mix(n, ws)]
    _settle()
    result = {
        "warm": describe(latencies(policy, warm_run, protected, home)),
        "first_seen": describe(latencies(policy, cold_run, protected, home)),
    }
    gc.unfreeze()
    return result


def build_log(
    path: Path, ws: Path, calls: int, distinct: int, home: Path, protected: tuple[Path, ...]
) -> None:
    """One session, one implementer, `calls` tool calls each followed by its decision."""
    policy = default_policy()
    store = EventStore(open_engine(path), batch_max=5000)
    session = "bench-session"
    store.append(session, "orchestrator", SessionCreated(title="bench", workspace=str(ws)))
    store.append(session, "orchestrator", AgentStarted(agent_id="impl-1", role=ROLE, backend="x"))
    requests = [r for n in range(-(-distinct // len(mix(0, ws)))) for r in mix(n, ws)][:distinct]
    decided = [decide(policy, r, protected=protected, home=home) for r in requests]
    for i in range(calls):
        request, verdict = requests[i % distinct], decided[i % distinct]
        call = f"call-{i}"
        requested = ToolCallRequested(
            agent_id="impl-1",
            call_id=call,
            tool=str(request.tool),
            command=request.command,
            paths=list(request.paths),
        )
        store.append(session, "impl-1", requested)
        outcome = PolicyDecided(
            call_id=call,
            decision=verdict.decision.value,
            rule_id=verdict.rule_id,
            policy_hash=verdict.policy_hash,
            source=cast(DecisionSource, verdict.source),
        )
        store.append(session, "auth", outcome)
    store.close()


def candidate_policy() -> LoadedPolicy:
    """The default policy with `CHANGES` applied (each must apply, or the bench says so)."""
    source = default_policy().source
    assert source is not None, "the default policy is read from a file"
    text = source.read_text(encoding="utf-8")
    for old, new in CHANGES:
        if old not in text:
            raise SystemExit(f"bench/policy.py: the default policy no longer has {old!r}")
        text = text.replace(old, new)
    return load_policy_text(text)


def bench_diff(root: Path, calls: int, distinct: int, memory: bool) -> dict[str, float]:
    """Reading the log alone, then the full re-decision of every call in it."""
    ws, home = make_workspace(root / "diff")
    path = root / "diff.db"
    protected = (root / "config", root / "data")
    build_log(path, ws, calls, distinct, home, protected)
    candidate, current = candidate_policy(), default_policy()
    engine = open_engine(path, create=False)

    def read() -> int:
        return sum(1 for _ in iter_log(engine))

    def rediff() -> DiffSummary:
        summary = DiffSummary()
        calls = redecide(
            iter_log(engine),
            candidate,
            current=current,
            fallback_workspace=ws,
            protected=protected,
            home=home,
        )
        for item in calls:
            summary.add(item)
        return summary

    _settle()
    start = time.perf_counter()
    records = read()
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    summary = rediff()
    diff_s = time.perf_counter() - start
    result = {
        "calls": summary.redecided,
        "records": records,
        "distinct_requests": distinct,
        "changed": summary.changed,
        "more_permissive": summary.more_permissive,
        "stricter": summary.stricter,
        "read_s": round(read_s, 3),
        "diff_s": round(diff_s, 3),
        "calls_per_s": round(calls / diff_s),
        "ratio_to_read": round(diff_s / read_s, 1),
    }
    if memory:  # a second run: tracing slows every allocation, so it is never the timed one
        tracemalloc.start()
        rediff()
        result["peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    gc.unfreeze()
    engine.dispose()
    return result


def main(argv: list[str] | None = None) -> int:
    """Run both benchmarks and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--decisions", type=int, default=20_000, help="decisions per run")
    parser.add_argument("--calls", type=int, default=100_000, help="recorded calls to diff")
    parser.add_argument(
        "--distinct", type=int, default=2_000, help="distinct requests among the recorded calls"
    )
    parser.add_argument(
        "--memory", action="store_true", help="also trace the diff's peak memory (a second run)"
    )
    parser.add_argument("--dir", type=Path, default=None, help="where to put the temp files")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="qd-bench-policy-", dir=args.dir))
    try:
        decisions = bench_decisions(root / "decide", args.decisions)
        diff = bench_diff(root, args.calls, args.distinct, args.memory)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    result = {"decisions": decisions, "diff": diff, "targets": {"p99_ms": 1.0}}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{'decisions':<12}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, row in decisions.items():
        verdict = "ok" if row["p99_ms"] < 1.0 else "ABOVE TARGET"
        print(
            f"{name:<12}{row['per_s']:>9}{row['p50_ms']:>9.3f}{row['p99_ms']:>9.3f}"
            f"{row['max_ms']:>9.3f}  (p99 target < 1 ms) {verdict}"
        )
    print(
        f"\npolicy diff: {diff['calls']} calls ({diff['records']} records,"
        f" {diff['distinct_requests']} distinct requests), {diff['changed']} would change"
        f" ({diff['more_permissive']} more permissive, {diff['stricter']} stricter)"
    )
    print(f"  read only (iter_log)   {diff['read_s']:>8.3f} s")
    print(
        f"  read + re-decide       {diff['diff_s']:>8.3f} s   {diff['calls_per_s']} calls/s,"
        f" {diff['ratio_to_read']}x the read"
    )
    if "peak_mib" in diff:
        print(f"  peak traced memory     {diff['peak_mib']:>8.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
