"""``bench/console.py`` still runs end to end: tiny sizes, assertions on the JSON keys only
(timings belong to the benchmark, never to a test)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "console.py"
FIGURES = {
    "first_paint_s",
    "trivial_paint_s",
    "first_paint_ratio",
    "first_paint_direct_s",
    "first_paint_direct_ratio",
    "tmux_floor_s",
    "key_idle_p50_ms",
    "key_idle_p99_ms",
    "key_load_p50_ms",
    "key_load_p99_ms",
    "key_p50_ratio",
    "key_p99_ratio",
    "replay_s",
    "replay_cold_s",
    "replay_read_s",
    "replay_fold_s",
    "replay_jump_s",
    "raw_select_s",
    "replay_ratio",
    "console_rss_mb",
    "console_peak_rss_mb",
    "trivial_rss_mb",
    "rss_ratio",
    "console_empty_rss_mb",
    "empty_rss_ratio",
    "history_list_s",
    "history_key_s",
    "history_load_s",
    "history_fold_s",
    "history_load_ratio",
    "idle_cpu_pct",
    "trivial_idle_cpu_pct",
    "idle_cpu_ratio",
    "key_stress_p50_ms",
    "key_stress_p99_ms",
    "key_stress_ratio",
    "passed",
    "targets",
}


@pytest.mark.skipif(shutil.which("tmux") is None, reason="the benchmark needs tmux")
def test_the_console_benchmark_prints_every_figure(tmp_path: Path) -> None:
    args = ["--json", "--runs", "1", "--events", "400", "--agents", "2", "--rate", "20"]
    args += ["--stress-rate", "40", "--idle-s", "0.2"]
    done = subprocess.run(
        [sys.executable, str(BENCH), *args, "--load-s", "0.3", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    missing = FIGURES - result.keys()
    assert not missing, f"figures missing from --json: {sorted(missing)}"
    assert set(result["passed"]) == {
        "first_paint_s",
        "key_load_p99_ms",
        "key_stress_p99_ms",
        "replay_s",
        "history_load_s",
        "console_rss_mb",
        "idle_cpu_pct",
    }
