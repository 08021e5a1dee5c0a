"""The team file: which agent plays each role, and the workflow between them.

```toml
name = "default"
[roles.implementer]
backend = "acp"                       # acp | demo | command | human
command = "claude-agent-acp"
secrets = { ANTHROPIC_API_KEY = "anthropic" }   # variable = keyring secret name
# prompt = "verbatim"                 # send the task as given, not in the role's template
[roles.validator]
backend = "command"
checks = [{ name = "pytest", command = ["python", "-m", "pytest", "-q"] }]
[workflow]
order = ["researcher", "planner", "implementer", "validator", "reviewer"]
max_attempts = 3
# budget = 2.50                       # optional: what a session may cost before it asks to go on
[checkpoints]                         # optional; snapshots for rollback and fork
exclude = [".venv", "node_modules"]   # names skipped at any depth (default: a longer list)
[sandbox]                             # optional; how agent processes are confined
kind = "auto"                         # auto (bwrap where it works) | bwrap | none
network = "on"                        # on | off; a role may say otherwise
```
``{python}`` in a command or argument stands for the interpreter running Quarterdeck, and
``{demo}`` for the directory of the shipped demo assets.
"""

from __future__ import annotations

import importlib.resources
import sys
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from agents.checkpoints.shadow import AGENT_STATE, DEFAULT_EXCLUDE
from sessions.errors import QuarterdeckError

RoleName = Literal["researcher", "planner", "implementer", "validator", "reviewer"]
ROLES: tuple[RoleName, ...] = ("researcher", "planner", "implementer", "validator", "reviewer")
"""The roles of the seed's team, in the default workflow's order."""


class TeamError(QuarterdeckError):
    """A team file is missing or invalid; the message names the file and the problem."""


class Backend(StrEnum):
    """What plays a role."""

    ACP = "acp"
    DEMO = "demo"
    COMMAND = "command"
    HUMAN = "human"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


SandboxKind = Literal["auto", "bwrap", "none"]
"""``auto``: bubblewrap where it works, else unconfined with a warning; ``bwrap``: bubblewrap
or the agent does not start; ``none``: unconfined, on purpose."""

Network = Literal["on", "off"]


class SandboxSettings(_Model):
    """``[sandbox]``: how agent processes, their commands and the checks are confined."""

    kind: SandboxKind = "auto"
    network: Network = "on"
    """``on`` by default: agents call their own LLM endpoints."""
    state_dirs: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    """Paths (``~`` is the agent's home) the agent may write besides the workspace and /tmp,
    added to the known ones of its command."""


class Check(_Model):
    """One validation check: a command run in the workspace; exit 0 passes."""

    name: str
    command: Annotated[list[str], Field(min_length=1)]
    timeout_s: Annotated[float, Field(gt=0)] = 600.0


class RoleConfig(_Model):
    """How one role is played."""

    backend: Backend
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    secrets: dict[str, str] = Field(default_factory=dict)
    mode: str | None = None
    auth_method: str | None = None
    login_hint: str | None = None
    """How to log the agent in (e.g. "run `claude /login`"), shown when it needs a login."""
    playbook: str | None = None
    speed: Annotated[float, Field(ge=0)] = 1.0
    checks: list[Check] = Field(default_factory=list)
    prompt: Literal["role", "verbatim"] = "role"
    """How the task reaches the agent: in the role's template, or exactly as given (a scripted
    agent that acts on the first text of its prompt must see the task itself)."""
    sandbox: SandboxKind | None = None
    """Overrides ``[sandbox] kind`` for this role."""
    network: Network | None = None
    """Overrides ``[sandbox] network`` for this role."""
    state_dirs: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    """Added to ``[sandbox] state_dirs`` for this role."""

    def expanded_env(self) -> dict[str, str]:
        """The role's ``env`` with ``{python}`` and ``{demo}`` expanded, as its processes get it."""
        return {name: expand(value) for name, value in self.env.items()}

    @model_validator(mode="after")
    def _complete(self) -> Self:
        needs = {
            Backend.ACP: (self.command, "an acp role needs 'command'"),
            Backend.DEMO: (self.playbook, "a demo role needs 'playbook'"),
            Backend.COMMAND: (self.checks or None, "a command role needs 'checks'"),
        }
        if self.backend in needs:
            value, missing = needs[self.backend]
            if not value:
                raise ValueError(missing)
        return self


class Workflow(_Model):
    """The order of the roles and how often a failed validation goes back to the implementer."""

    order: list[RoleName] = Field(default_factory=lambda: list(ROLES))
    max_attempts: Annotated[int, Field(ge=1, le=20)] = 3
    turn_timeout_s: Annotated[float, Field(gt=0)] = 1800.0
    cancel_grace_s: Annotated[float, Field(ge=0, le=300)] = 5.0
    """How long a cancelled turn may take to end by itself (ACP ``session/cancel``) before
    the agent's process is stopped."""
    budget: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    """What a session's agents may cost (as they report it) before it pauses and asks a person
    whether to go on; each "yes" lets it spend this much more. None: no budget."""
    budget_currency: str | None = None
    """The currency ``budget`` is in (ISO 4217, "USD"); unset, the budget applies to whatever
    currency the agents report, each currency on its own."""

    @field_validator("budget", mode="before")
    @classmethod
    def _an_amount(cls, value: object) -> object:
        if isinstance(value, bool):  # TOML's true would read as 1.0
            raise ValueError("budget must be an amount like 2.50")
        return value

    @field_validator("budget_currency")
    @classmethod
    def _a_currency(cls, value: str | None) -> str | None:
        if value is not None and not (len(value) == 3 and value.isalpha()):
            raise ValueError(f"budget_currency must be a currency code like USD, not {value!r}")
        return value.upper() if value is not None else None

    @model_validator(mode="after")
    def _currency_of_a_budget(self) -> Self:
        if self.budget_currency is not None and self.budget is None:
            raise ValueError("budget_currency needs a budget")
        return self


class CheckpointSettings(_Model):
    """Workspace snapshots (``[checkpoints]``): whether to take them and which names to skip."""

    enabled: bool = True
    exclude: list[Annotated[str, Field(min_length=1, pattern=r"^[^/]+$")]] = Field(
        default_factory=lambda: list(DEFAULT_EXCLUDE)
    )
    """File or directory names (globs, no ``/``) left out at any depth; replaces the defaults."""
    agent_state: list[Annotated[str, Field(min_length=1, pattern=r"^[^/]+$")]] = Field(
        default_factory=lambda: list(AGENT_STATE)
    )
    """Agents' own state folders (globs, no ``/``), left out besides ``exclude`` (and never
    drift): their transcripts can quote a secret."""

    def excluded(self) -> list[str]:
        """Every name left out of snapshots: ``exclude`` and ``agent_state``."""
        return [*self.exclude, *(n for n in self.agent_state if n not in self.exclude)]


class Team(_Model):
    """A whole team file."""

    name: str = "team"
    roles: dict[RoleName, RoleConfig]
    workflow: Workflow = Field(default_factory=Workflow)
    checkpoints: CheckpointSettings = Field(default_factory=CheckpointSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)

    @model_validator(mode="after")
    def _has_implementer(self) -> Self:
        if "implementer" not in self.roles:
            raise ValueError("a team needs an implementer")
        return self

    @model_validator(mode="after")
    def _playable(self) -> Self:
        # Each role says what can play it (agents.roles); imported here because roles read teams.
        from agents.roles.roster import ROSTER

        for name, config in self.roles.items():
            allowed = ROSTER[name].played_by
            if config.backend not in allowed:
                can = " or ".join(sorted(allowed))
                raise ValueError(
                    f"roles.{name}: the {name} is played by {can}, not {config.backend}"
                )
        return self

    def sandbox_for(self, role: RoleName) -> SandboxSettings:
        """The ``[sandbox]`` settings with ``role``'s own overrides applied."""
        config = self.roles[role]
        return SandboxSettings(
            kind=config.sandbox or self.sandbox.kind,
            network=config.network or self.sandbox.network,
            state_dirs=[*self.sandbox.state_dirs, *config.state_dirs],
        )

    def steps(self) -> list[str]:
        """The workflow's roles that this team actually has, in order."""
        return [role for role in self.workflow.order if role in self.roles]


def demo_dir() -> Path:
    """Where the shipped demo assets (workspace, playbooks) are."""
    return Path(str(importlib.resources.files("sessions.data").joinpath("demo")))


def expand(value: str) -> str:
    """Expand ``{python}`` and ``{demo}`` placeholders."""
    return value.replace("{python}", sys.executable).replace("{demo}", str(demo_dir()))


def load_team(path: Path) -> Team:
    """Load and validate a team file; ``TeamError`` names the file and the first problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TeamError(f"cannot read team file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise TeamError(f"{path}: {exc}") from exc
    try:
        return Team.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "team"
        raise TeamError(f"{path}: {where}: {error['msg']}") from exc


def bundled_team(name: str) -> Path:
    """A team file shipped in ``sessions/configs`` (``team.toml``, ``demo-team.toml``)."""
    return Path(str(importlib.resources.files("sessions.configs").joinpath(name)))
