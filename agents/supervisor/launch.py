"""Starting a session from the console: the team files to offer, and what is wrong with a form.

The console's "new session" form asks for a task, a workspace and a team file; this module
finds the team files a user may mean (the project's, the config directory's, the bundled ones)
and checks a filled-in form the way ``quarterdeck run`` would, one message per field, so the
form can show each under its field. Everything here reads files: call it on a thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agents.team import Team, TeamError, bundled_team, load_team
from sessions.errors import QuarterdeckError

PROJECT_TEAM = Path(".quarterdeck") / "team.toml"
"""A project's own team file, relative to its workspace."""

BUNDLED = ("team.toml", "demo-team.toml")
"""The team files shipped in ``sessions/configs``, in the order offered."""

Origin = Literal["project", "config", "bundled"]


@dataclass(frozen=True, slots=True)
class TeamFile:
    """A team file the form offers: where it was found and its path."""

    origin: Origin
    path: Path

    @property
    def label(self) -> str:
        """How the form lists it: the origin, then the path (a bundled one by its name)."""
        shown = self.path.name if self.origin == "bundled" else str(self.path)
        return f"{self.origin} · {shown}"


def team_files(workspace: Path, *, config_dir: Path | None) -> list[TeamFile]:
    """The team files to offer for ``workspace``, most specific first: the project's
    ``.quarterdeck/team.toml``, the config directory's ``team.toml`` and ``*-team.toml``, then
    the bundled default and demo teams. Blocking (it looks at the disk)."""
    found: list[TeamFile] = []
    project = workspace.expanduser() / PROJECT_TEAM
    if _is_file(project):
        found.append(TeamFile("project", project))
    if config_dir is not None:
        names = [config_dir / "team.toml", *_sorted_glob(config_dir, "*-team.toml")]
        found += [TeamFile("config", path) for path in names if _is_file(path)]
    found += [TeamFile("bundled", bundled_team(name)) for name in BUNDLED]
    return found


def default_team(files: list[TeamFile]) -> TeamFile:
    """The one selected at first: the project's, else the config directory's ``team.toml``,
    else the bundled default — ``run`` without ``--team``, with the project's file first."""
    for origin in ("project", "config", "bundled"):
        for f in files:
            if f.origin == origin and f.path.name == PROJECT_TEAM.name:
                return f
    return files[0]


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # an unreadable directory on the way: not offered
        return False


def _sorted_glob(directory: Path, pattern: str) -> list[Path]:
    try:
        return sorted(directory.glob(pattern))
    except OSError:
        return []


@dataclass(frozen=True, slots=True)
class Problems:
    """What is wrong with a new-session form, one message per field (empty: nothing)."""

    task: str = ""
    workspace: str = ""
    team: str = ""
    policy: str = ""
    worktree: str = ""
    """Why no worktree could be made (when one was asked for)."""

    def __bool__(self) -> bool:
        return bool(self.messages())

    def messages(self) -> list[str]:
        """Every problem, one line each (for a notification or the CLI)."""
        fields = (self.task, self.workspace, self.team, self.policy, self.worktree)
        return [m for m in fields if m]


class NewSessionRefused(QuarterdeckError):
    """A new session was not started: ``problems`` says why, per field of the form."""

    def __init__(self, problems: Problems) -> None:
        super().__init__("; ".join(problems.messages()))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Checked:
    """A form that passed: the task as typed (trimmed), the workspace resolved, its team."""

    task: str
    workspace: Path
    team: Team


def check(task: str, workspace: Path, team_path: Path | None, *, policy: str = "") -> Checked:
    """Check a new-session form as ``run`` would; ``NewSessionRefused`` names each problem.

    ``policy`` is what is wrong with the policy in force (empty: a valid one is). Blocking: it
    looks at the workspace and loads the team file.
    """
    task = task.strip()
    task_problem = "" if task else "say what the team should do"
    place = workspace.expanduser()
    if not str(workspace).strip():
        where = "give the directory the agents work in"
    elif not place.exists():
        where = f"no such directory: {place}"
    elif not place.is_dir():
        where = f"not a directory: {place}"
    else:
        where = ""
    team: Team | None = None
    if team_path is None:
        team_problem = "choose a team file"
    else:
        try:
            team = load_team(team_path)
            team_problem = ""
        except TeamError as exc:
            team_problem = str(exc)
    problems = Problems(task=task_problem, workspace=where, team=team_problem, policy=policy)
    if problems or team is None:
        raise NewSessionRefused(problems)
    return Checked(task=task, workspace=place.resolve(), team=team)
