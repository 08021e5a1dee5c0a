"""What the lifecycle tests share: the test agent's team, a lingering launcher, process groups."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from agents.team import Team

LIFECYCLE_AGENT = Path(__file__).parent / "agents" / "lifecycle_agent.py"

LINGERING = 'sleep 1000 & exec "$0" "$@"'
"""A launcher that leaves a child behind in the agent's process group (as ``npx`` or a wrapper
script can): only a kill of the whole group ends it."""


def agent_role(scenario: str, marker: Path, *, linger: bool = False) -> dict[str, Any]:
    """An ``acp`` role played by the lifecycle test agent, optionally through a lingering
    launcher (``sh -c``). The agent keeps its marker beside the workspace, in a state directory:
    under the sandbox, the one place besides the workspace it may write (its /tmp is private)."""
    args = [str(LIFECYCLE_AGENT), scenario, str(marker)]
    state = {"state_dirs": [str(marker.parent)]}
    if linger:
        launcher = ["-c", LINGERING, sys.executable, *args]
        return {"backend": "acp", "command": "sh", "args": launcher, **state}
    return {"backend": "acp", "command": sys.executable, "args": args, **state}


def lifecycle_team(
    scenario: str,
    marker: Path,
    *,
    linger: bool = False,
    checks: bool = False,
    grace_s: float = 5.0,
    **workflow: Any,
) -> Team:
    """A team whose implementer is the lifecycle agent (and, with ``checks``, a validator)."""
    roles: dict[str, Any] = {"implementer": agent_role(scenario, marker, linger=linger)}
    order = ["implementer"]
    if checks:
        command = [sys.executable, "-c", "pass"]
        roles["validator"] = {"backend": "command", "checks": [{"name": "ok", "command": command}]}
        order.append("validator")
    return Team.model_validate(
        {
            "name": "lifecycle",
            "roles": roles,
            "workflow": {"order": order, "cancel_grace_s": grace_s, **workflow},
        }
    )


def group_alive(pgid: int) -> list[int]:
    """The processes of group ``pgid`` still alive (zombies are gone in all but name)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            alive.append(int(entry.name))
    return alive


def marker_lines(marker: Path) -> list[str]:
    """What reached the test agent, in order."""
    return marker.read_text().splitlines() if marker.exists() else []


def team_file(path: Path, scenario: str, marker: Path, *, linger: bool = False) -> Path:
    """The lifecycle team as a TOML file, for the real ``quarterdeck`` command."""
    role = agent_role(scenario, marker, linger=linger)
    args = ", ".join(_toml(a) for a in role["args"])
    path.write_text(
        'name = "lifecycle"\n[roles.implementer]\nbackend = "acp"\n'
        f"command = {_toml(role['command'])}\nargs = [{args}]\n"
        f"state_dirs = [{_toml(str(marker.parent))}]\n"
        '[workflow]\norder = ["implementer"]\ncancel_grace_s = 5.0\n'
    )
    return path


def _toml(value: str) -> str:
    return "'" + value + "'" if "'" not in value else '"' + value.replace('"', '\\"') + '"'
