"""Approvals across processes: a console asks, another terminal answers; dead askers are stale."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from agents.auth.grants import list_grants
from tests.conftest import run_cli as _cli

CHILD = Path(__file__).with_name("approval_child.py")


def _start(db: Path, workspace: Path, command: str) -> tuple[subprocess.Popen[str], str]:
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(db), str(workspace), command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert child.stdout is not None
    line = child.stdout.readline()  # blocks until the request is durable: no sleeping
    assert line.startswith("asked "), line + (child.stderr.read() if child.stderr else "")
    return child, line.split()[1]


def test_approve_from_another_terminal_reaches_the_waiting_process(tmp_path: Path) -> None:
    db, workspace = tmp_path / "q.db", tmp_path / "ws"
    workspace.mkdir()
    child, approval_id = _start(db, workspace, "cargo build")
    try:
        listed = _cli(db, "approvals", "--json")
        [row] = [json.loads(line) for line in listed.stdout.splitlines()]
        assert (row["id"], row["status"], row["command"]) == (approval_id, "waiting", "cargo build")
        answered = _cli(db, "approve", approval_id[:6], "--always", "--reason", "fine")
        assert answered.returncode == 0, answered.stderr
        assert child.stdout is not None
        assert child.stdout.readline().split()[:2] == ["answered", "approved_always"]
        assert child.wait(timeout=60) == 0
    finally:
        child.kill()
    [grant] = list_grants(Path(os.environ["QUARTERDECK_CONFIG_DIR"]) / "policy.toml")
    assert grant.rule_id == f"grant-{approval_id}" and grant.role == "implementer"
    assert _cli(db, "grants").stdout.startswith(f"grant-{approval_id}")
    again = _cli(db, "approve", approval_id)
    assert again.returncode == 1 and "already answered: approved_always" in again.stderr
    assert _cli(db, "revoke", grant.rule_id).returncode == 0
    assert _cli(db, "grants").stdout == ""


def test_a_request_left_by_a_killed_process_is_stale_never_approved(tmp_path: Path) -> None:
    db, workspace = tmp_path / "q.db", tmp_path / "ws"
    workspace.mkdir()
    child, approval_id = _start(db, workspace, "git push")
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    [row] = [json.loads(line) for line in _cli(db, "approvals", "--json").stdout.splitlines()]
    assert (row["id"], row["stale"]) == (approval_id, True)
    refused = _cli(db, "approve", approval_id)
    assert refused.returncode == 1 and "is stale" in refused.stderr
    cleared = _cli(db, "deny", approval_id, "--reason", "asker died")
    assert cleared.returncode == 0, cleared.stderr
    assert _cli(db, "approvals").stdout == ""
    shown = _cli(db, "show", "s-child").stdout
    assert f"approval {approval_id} denied by" in shown
