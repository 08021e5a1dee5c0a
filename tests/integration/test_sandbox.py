"""The gate holds when the agent does not ask: bubblewrap around an agent with its own tools,
and drift after every turn. Run through the real ``quarterdeck run``.

These tests need bubblewrap and fail without it (``.ci/run`` installs it). The fake home lives
outside ``/tmp``: the sandbox gives every agent a private ``/tmp``, which would hide a secret
there whether or not the policy's paths are hidden.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sessions.store.engine import open_engine
from sessions.store.reading import list_sessions, load_session

AGENT = Path(__file__).parent / "agents" / "own_tools_agent.py"
QUARTERDECK = Path(sys.executable).with_name("quarterdeck")
FAKE_KEY = "-----FAKE TEST KEY, NOT A SECRET-----"


@pytest.fixture(autouse=True)
def bubblewrap() -> None:
    """Fail, never skip: a sandbox test that silently does not run proves nothing."""
    assert shutil.which("bwrap"), "these tests need bubblewrap: apt-get install bubblewrap"


@pytest.fixture
def outside() -> Iterator[Path]:
    """A directory outside /tmp (and so outside the agent's private /tmp)."""
    base = Path("/var/tmp") if Path("/var/tmp").is_dir() else Path.home()
    path = Path(tempfile.mkdtemp(prefix="qd-sandbox-test-", dir=base))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _home(root: Path) -> Path:
    home = root / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text(FAKE_KEY + "\n")
    return home


def _team(tmp: Path, scenario: str, *args: str, extra: str = "") -> Path:
    command = json.dumps([str(AGENT), scenario, *args])
    team = tmp / "team.toml"
    team.write_text(
        f"""
name = "own-tools"
{extra}
[roles.implementer]
backend = "acp"
command = {json.dumps(sys.executable)}
args = {command}
[workflow]
order = ["implementer"]
""",
        encoding="utf-8",
    )
    return team


def _run(
    tmp: Path,
    team: Path,
    workspace: Path,
    *,
    home: Path | None = None,
    path: str | None = None,
) -> list[Any]:
    env = os.environ.copy()
    if home is not None:
        env["HOME"] = str(home)
    if path is not None:
        env["PATH"] = path
    db = tmp / "q.db"
    run = ["run", "the task", "--team", str(team), "--workspace", str(workspace), "--headless"]
    done = subprocess.run(
        [str(QUARTERDECK), "--db", str(db), *run, "--on-ask", "deny"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]
    engine = open_engine(db, create=False)
    (session,) = list_sessions(engine)
    return load_session(engine, session.session_id)


def _report(records: list[Any]) -> dict[str, Any]:
    text = next(r.payload["text"] for r in records if r.kind == "agent.message")
    found: dict[str, Any] = json.loads(text)
    return found


def _drift(records: list[Any]) -> list[dict[str, Any]]:
    return [r.payload for r in records if r.kind == "workspace.drift"]


def test_an_agent_with_its_own_shell_cannot_read_a_secret_or_write_outside(
    tmp_path: Path, outside: Path
) -> None:
    home, workspace = _home(outside), tmp_path / "ws"
    workspace.mkdir()
    escaped = outside / "escaped.txt"
    team = _team(tmp_path, "escape", str(home / ".ssh" / "id_rsa"), str(escaped))
    records = _run(tmp_path, team, workspace, home=home)
    started = next(r.payload for r in records if r.kind == "agent.started")
    assert started["sandbox"]["kind"] == "bwrap"
    assert str(home / ".ssh") in started["sandbox"]["hidden"]
    found = _report(records)
    assert found["read"]["rc"] != 0 and FAKE_KEY not in found["read"]["out"]
    assert found["write"]["rc"] != 0 and "Read-only file system" in found["write"]["err"]
    assert not escaped.exists()
    assert found["inside"] == {"rc": 0, "out": "fine\n", "err": ""}  # the workspace is its own
    # ... but nothing it was allowed to do explains inside.txt: drift, and a critical escalation.
    (drift,) = _drift(records)
    assert drift["files"] == [{"status": "added", "path": "inside.txt"}]
    assert drift["agent_id"] == "implementer-1" and drift["turn"] == 1
    escalations = [r.payload for r in records if r.kind == "escalation.raised"]
    assert any(e["severity"] == "critical" and "inside.txt" in e["reason"] for e in escalations)


def test_a_home_the_team_file_sets_is_hidden_too(tmp_path: Path, outside: Path) -> None:
    home, workspace = _home(outside), tmp_path / "ws"
    workspace.mkdir()
    team = _team(tmp_path, "escape", str(home / ".ssh" / "id_rsa"), str(outside / "x"))
    text = team.read_text().replace(
        'backend = "acp"', f'backend = "acp"\nenv = {{ HOME = {json.dumps(str(home))} }}'
    )
    team.write_text(text)
    found = _report(_run(tmp_path, team, workspace))  # the console's own HOME is not ``home``
    assert found["read"]["rc"] != 0 and FAKE_KEY not in found["read"]["out"]


def test_without_the_sandbox_the_same_agent_escapes(tmp_path: Path, outside: Path) -> None:
    """The control: what the tests above forbid does happen when the team turns it off."""
    home, workspace = _home(outside), tmp_path / "ws"
    workspace.mkdir()
    escaped = outside / "escaped.txt"
    team = _team(
        tmp_path,
        "escape",
        str(home / ".ssh" / "id_rsa"),
        str(escaped),
        extra='[sandbox]\nkind = "none"',
    )
    records = _run(tmp_path, team, workspace, home=home)
    found = _report(records)
    assert FAKE_KEY in found["read"]["out"]
    assert escaped.read_text() == "escaped\n"
    started = next(r.payload for r in records if r.kind == "agent.started")
    assert started["sandbox"]["kind"] == "none"
    assert len(_drift(records)) == 1  # drift holds without the sandbox too


@pytest.mark.parametrize(
    ("scenario", "drifted"),
    [
        ("direct", [{"status": "added", "path": "direct.txt"}]),
        ("via_fs", []),
        ("command", []),
        ("ask_then_direct", [{"status": "added", "path": "sneaky.txt"}]),
    ],
)
def test_only_changes_no_allowed_action_explains_are_drift(
    tmp_path: Path, scenario: str, drifted: list[dict[str, str]]
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    # The default policy allows edits in the workspace and `touch` outright: nothing is asked.
    records = _run(tmp_path, _team(tmp_path, scenario), workspace)
    intents = [r.payload for r in records if r.kind == "tool.intent"]
    if scenario in ("via_fs", "ask_then_direct"):
        assert any(str(i.get("path", "")).endswith("via-fs.txt") for i in intents)
        assert (workspace / "via-fs.txt").exists()
    if scenario == "command":
        assert (workspace / "made-by-command.txt").exists()
    found = _drift(records)
    assert [f for d in found for f in d["files"]] == drifted


def _path_without_bwrap(tmp: Path) -> str:
    """A PATH with git (for checkpoints) and sh, but no bubblewrap."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    for tool in ("git", "sh"):
        found = shutil.which(tool)
        assert found is not None
        (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


def test_without_bubblewrap_an_agent_runs_unconfined_with_a_warning(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    team = _team(tmp_path, "via_fs")
    records = _run(tmp_path, team, workspace, path=_path_without_bwrap(tmp_path))
    started = next(r.payload for r in records if r.kind == "agent.started")
    assert started["sandbox"]["kind"] == "none" and "bubblewrap" in started["sandbox"]["reason"]
    warnings = [r.payload for r in records if r.kind == "escalation.raised"]
    assert any("WITHOUT a sandbox" in w["reason"] and "apt-get" in w["reason"] for w in warnings)
    assert (workspace / "via-fs.txt").exists()


def test_bwrap_demanded_but_missing_stops_the_agent_with_one_line(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    team = _team(tmp_path, "via_fs", extra='[sandbox]\nkind = "bwrap"')
    records = _run(tmp_path, team, workspace, path=_path_without_bwrap(tmp_path))
    assert "agent.started" not in [r.kind for r in records]
    (failed,) = [r.payload for r in records if r.kind == "agent.failed"]
    assert failed["error"].startswith('agent implementer-1 not started: sandbox = "bwrap":')
    assert "\n" not in failed["error"]
    assert records[-1].kind == "session.finished" and records[-1].payload["outcome"] == "failed"


def test_the_validators_checks_run_in_the_sandbox_too(tmp_path: Path, outside: Path) -> None:
    home, workspace = _home(outside), tmp_path / "ws"
    workspace.mkdir()
    secret = home / ".ssh" / "id_rsa"
    team = _team(tmp_path, "via_fs")
    check = json.dumps(["/bin/sh", "-c", f"cat '{secret}' && touch '{outside}/checked'"])
    text = team.read_text().replace(
        'order = ["implementer"]', 'order = ["implementer", "validator"]\nmax_attempts = 1'
    )
    text += f'[roles.validator]\nbackend = "command"\nchecks = [{{ name = "peek", command = {check} }}]\n'
    team.write_text(text)
    records = _run(tmp_path, team, workspace, home=home)
    (result,) = [r.payload for r in records if r.kind == "validation.result"]
    assert not result["passed"] and FAKE_KEY not in result["output"]
    assert "No such file" in result["output"]
    assert not (outside / "checked").exists()
