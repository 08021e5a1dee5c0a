"""Benchmark checkpoints and rollback on a 10,000-file workspace where a few files changed.

Prints (targets in brackets):
  checkpoint_s       one checkpoint after editing --changed files                     [<= 0.5 s]
  checkpoint_ratio   checkpoint_s / a plain ``git add -A && git write-tree`` of the same
                     edits in an ordinary repository on a copy, measured in the same run
  rollback_s         a rollback of those edits: safety snapshot, diff, restore         [<= 0.5 s]
  rollback_ratio     rollback_s / ``cp -r`` of the whole workspace (the naive restore)
  first_checkpoint_s the first snapshot of the workspace (hashes every file; once per
                     workspace)
``--json`` prints one JSON object instead of a table. Medians of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.checkpoints.recorder import session_ref
from agents.checkpoints.rollback import CheckpointInfo, apply_rollback, plan_rollback
from agents.checkpoints.shadow import ShadowRepo


def build(root: Path, files: int) -> None:
    """``files`` small source files in 100 directories, plus a heavy excluded ``.venv``."""
    for i in range(files):
        directory = root / "src" / f"pkg{i % 100}"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"mod{i}.py").write_text(f"VALUE = {i}\n" + "# padding line\n" * 20)
    venv = root / ".venv" / "lib"
    venv.mkdir(parents=True)
    for i in range(2000):
        (venv / f"dep{i}.py").write_text("x = 1\n")


def edit(root: Path, changed: int, round_: int) -> None:
    """Change ``changed`` files and add one."""
    for i in range(changed):
        path = root / "src" / f"pkg{i % 100}" / f"mod{i}.py"
        path.write_text(f"VALUE = {i}  # edited {round_}\n")
    (root / f"new-{round_}.txt").write_text("new\n")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def plain_git(repo: Path) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "add", "-A"], cwd=repo, env=env, check=True)
    subprocess.run(["git", "write-tree"], cwd=repo, env=env, check=True, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.add_argument("--files", type=int, default=10_000, help="files in the workspace")
    parser.add_argument("--changed", type=int, default=5, help="files edited between checkpoints")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--dir", type=Path, default=None, help="where to build the workspace")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="qd-bench-cp-", dir=args.dir))
    try:
        ws, plain = tmp / "ws", tmp / "plain"
        build(ws, args.files)
        repo = ShadowRepo(tmp / "shadows", ws)
        ref = session_ref("bench")
        first = timed(lambda: repo.snapshot(ref, "first"))
        shutil.copytree(ws, plain)
        (plain / ".gitignore").write_text(".venv/\n")
        subprocess.run(["git", "init", "-q"], cwd=plain, check=True)
        plain_git(plain)
        ours, baseline, rollback, copy = [], [], [], []
        for round_ in range(args.runs):
            before = repo.ref(ref)
            assert before is not None
            edit(ws, args.changed, round_)
            edit(plain, args.changed, round_)
            ours.append(timed(lambda: repo.snapshot(ref, "step")))
            baseline.append(timed(lambda: plain_git(plain)))
            edit(ws, args.changed, round_ + 1000)  # more edits, then go back to `before`
            target = CheckpointInfo(
                seq=0, checkpoint_id=before, at_seq=0, known_good=False, label="bench"
            )

            def roll_back(target: CheckpointInfo = target) -> None:
                with repo.locked():
                    now = repo.snapshot_tree()
                    repo.commit(now, "safety", parent=repo.ref(ref))
                    apply_rollback(repo, plan_rollback(repo, now, target, created=set()))

            rollback.append(timed(roll_back))
            dest = tmp / f"copy-{round_}"
            copy.append(timed(lambda dest=dest: shutil.copytree(ws, dest, symlinks=True)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result = {
        "files": args.files,
        "changed": args.changed,
        "first_checkpoint_s": round(first, 4),
        "checkpoint_s": round(statistics.median(ours), 4),
        "plain_git_s": round(statistics.median(baseline), 4),
        "checkpoint_ratio": round(statistics.median(ours) / statistics.median(baseline), 3),
        "rollback_s": round(statistics.median(rollback), 4),
        "cp_r_s": round(statistics.median(copy), 4),
        "rollback_ratio": round(statistics.median(rollback) / statistics.median(copy), 3),
        "targets": {"checkpoint_s": 0.5, "rollback_s": 0.5},
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key in ("checkpoint_s", "rollback_s"):
            verdict = "ok" if result[key] <= 0.5 else "ABOVE TARGET"  # type: ignore[operator]
            print(f"{key:<14} {result[key]:7.4f}  (target <= 0.5 s)  {verdict}")
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
