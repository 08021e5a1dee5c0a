"""``quarterdeck doctor`` end to end: a fresh setup passes, a missing agent or a bad policy fails."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from agents.team import bundled_team
from app.commands.doctor import PACKAGES
from tests.conftest import QUARTERDECK, run_cli

EVERY_CHECK = (
    "python",
    *PACKAGES,
    "database",
    "data dir",
    "config dir",
    "policy",
    "team",
    "demo agent",
    "sandbox",
    "keyring",
)
DEMO_TEAM = str(bundled_team("demo-team.toml"))


def _lines(stdout: str) -> dict[str, tuple[str, str]]:
    """``name -> (status, detail)`` from the human report (names may contain one space)."""
    found: dict[str, tuple[str, str]] = {}
    for line in stdout.splitlines():
        status, rest = line[:4].strip(), line[6:]
        name, _, detail = rest.partition("  ")
        found[name.strip()] = (status, detail.strip())
    return found


def test_a_fresh_setup_passes_and_lists_every_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No usable keyring is only a warning: secrets come in a later release.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    done = run_cli(tmp_path / "q.db", "doctor", "--team", DEMO_TEAM)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = _lines(done.stdout)
    for name in EVERY_CHECK:
        assert name in lines, f"{name} missing from:\n{done.stdout}"
    assert all(status in ("ok", "warn") for status, _ in lines.values())
    assert lines["demo agent"][0] == "ok" and "quarterdeck-demo" in lines["demo agent"][1]
    assert lines["keyring"][0] == "warn" and "gnome-keyring" in lines["keyring"][1]
    assert "wal" in lines["database"][1] and (tmp_path / "q.db").exists()
    assert lines["sandbox"][0] == "ok" and "self-test passed" in lines["sandbox"][1]


def test_a_team_naming_a_missing_agent_fails_naming_it(tmp_path: Path) -> None:
    team = tmp_path / "team.toml"
    team.write_text(
        '[roles.implementer]\nbackend = "acp"\ncommand = "qd-no-such-agent-7f3"\n',
        encoding="utf-8",
    )
    done = run_cli(tmp_path / "q.db", "doctor", "--team", str(team))
    assert done.returncode == 1
    status, detail = _lines(done.stdout)["agent implementer"]
    assert status == "FAIL" and "qd-no-such-agent-7f3" in detail
    assert "install it or fix `command` in the team file" in detail


def test_an_invalid_user_policy_fails(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "policy.toml").write_text('[[rules]]\nid = "x"\ncomands = ["ls"]\n')
    done = run_cli(tmp_path / "q.db", "doctor", "--team", DEMO_TEAM)
    assert done.returncode == 1
    status, detail = _lines(done.stdout)["policy"]
    assert status == "FAIL" and "policy.toml" in detail


def test_json_is_one_object_with_every_check(tmp_path: Path) -> None:
    done = run_cli(tmp_path / "q.db", "doctor", "--team", DEMO_TEAM, "--json")
    report = json.loads(done.stdout)
    assert report["ok"] is True and done.returncode == 0
    assert [c["name"] for c in report["checks"]] == list(EVERY_CHECK)
    assert {c["status"] for c in report["checks"]} <= {"ok", "warn"}
    assert all(set(c) == {"name", "status", "detail"} for c in report["checks"])


def test_without_bubblewrap_the_sandbox_is_a_warning_naming_the_fix(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=str(tmp_path / "empty-path"))
    done = subprocess.run(
        [str(QUARTERDECK), "--db", str(tmp_path / "q.db"), "doctor", "--team", DEMO_TEAM],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    status, detail = _lines(done.stdout)["sandbox"]
    assert status == "warn" and "apt-get install bubblewrap" in detail
