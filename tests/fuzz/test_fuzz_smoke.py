"""Run the atheris targets briefly, all in one process (``make fuzz`` runs each for longer)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("atheris")

TARGETS = Path(__file__).with_name("fuzz_targets.py")


def test_fuzz_targets_find_nothing(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(TARGETS),
            "all",
            "-max_total_time=5",
            "-seed=20261124",
            f"-artifact_prefix={tmp_path}/",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Done" in done.stderr
