"""The demo agent's playbook: a TOML script of steps, validated strictly before the agent starts.

A playbook has either ``steps`` (played for every prompt) or ``attempts`` (one step list per
attempt: the first prompt plays attempt ``--attempt``, each later prompt in the same session the
next one, the last repeating). See ``docs/demo.md`` for every step kind and field.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

OnError = Literal["stop", "continue"]
"""What a failed step does to the turn: end it (``stop``) or go on with the next step."""

PermissionKind = Literal["allow_once", "allow_always", "reject_once", "reject_always"]
"""The ACP permission option kinds."""

ToolKind = Literal[
    "read", "edit", "delete", "move", "search", "execute", "think", "fetch", "switch_mode", "other"
]
"""The ACP tool call kinds."""


class PlaybookError(Exception):
    """A playbook that cannot be read or does not validate; the message names file and problem."""


class _Strict(BaseModel):
    """Every playbook table: unknown keys are errors, values are frozen once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PlanEntry(_Strict):
    """One line of a published plan."""

    content: str = Field(min_length=1)
    status: Literal["pending", "in_progress", "completed"] = "pending"
    priority: Literal["high", "medium", "low"] = "medium"


class PlanStep(_Strict):
    """Publish a plan (a ``session/update`` of kind ``plan``, replacing any earlier one)."""

    kind: Literal["plan"]
    entries: list[PlanEntry] = Field(min_length=1)


class MessageStep(_Strict):
    """Say something: ``agent_message_chunk`` updates, ``chunk`` characters at a time."""

    kind: Literal["message"]
    text: str = Field(min_length=1)
    chunk: int | None = Field(default=None, gt=0)


class ThoughtStep(_Strict):
    """Think aloud: ``agent_thought_chunk`` updates, ``chunk`` characters at a time."""

    kind: Literal["thought"]
    text: str = Field(min_length=1)
    chunk: int | None = Field(default=None, gt=0)


class ReadStep(_Strict):
    """Read a file through the client (``fs/read_text_file``); a tool call of kind ``read``."""

    kind: Literal["read"]
    path: str = Field(min_length=1)
    title: str | None = None
    on_error: OnError = "continue"


class Replacement(_Strict):
    """Replace the first occurrence of ``old`` by ``new`` in what a prior read returned."""

    old: str = Field(min_length=1)
    new: str


class WriteStep(_Strict):
    """Write a file through the client (``fs/write_text_file``); a tool call of kind ``edit``."""

    kind: Literal["write"]
    path: str = Field(min_length=1)
    content: str | None = None
    replace: Replacement | None = None
    title: str | None = None
    on_error: OnError = "continue"

    @model_validator(mode="after")
    def _one_source(self) -> WriteStep:
        if (self.content is None) == (self.replace is None):
            raise ValueError("a write step needs exactly one of 'content' and 'replace'")
        return self


class RunStep(_Strict):
    """Run a command in a client terminal (``terminal/*``); a tool call of kind ``execute``."""

    kind: Literal["run"]
    command: str = Field(min_length=1)
    args: list[str] = Field(default_factory=list)
    cwd: str | None = None
    title: str | None = None
    expect_exit: int | None = Field(default=None, ge=0)
    on_fail: OnError = "continue"
    on_error: OnError = "continue"


class AskOption(_Strict):
    """One permission option; ``id`` is what the client answers with, ``kind`` what it means."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    kind: PermissionKind


def _default_options() -> list[AskOption]:
    # Ids are deliberately not the kind names: clients must choose by kind.
    return [
        AskOption(id="opt-1", name="Allow once", kind="allow_once"),
        AskOption(id="opt-2", name="Allow always", kind="allow_always"),
        AskOption(id="opt-3", name="Reject once", kind="reject_once"),
        AskOption(id="opt-4", name="Reject always", kind="reject_always"),
    ]


class AskStep(_Strict):
    """Ask the client's permission (``session/request_permission``) and record the answer."""

    kind: Literal["ask"]
    title: str = Field(min_length=1)
    tool_kind: ToolKind = "other"
    path: str | None = None
    """The file the asked-for change is about (a location the policy and the queue see)."""
    replace: Replacement | None = None
    """The proposed change to ``path`` (after an earlier read), shown as a diff."""
    options: list[AskOption] = Field(default_factory=_default_options, min_length=1)
    on_reject: OnError = "stop"

    @model_validator(mode="after")
    def _unique_ids(self) -> AskStep:
        ids = [option.id for option in self.options]
        if len(set(ids)) != len(ids):
            raise ValueError(f"option ids must be unique, got {ids}")
        return self


class PauseStep(_Strict):
    """Wait ``seconds`` times the ``--speed`` factor; a ``session/cancel`` cuts it short."""

    kind: Literal["pause"]
    seconds: float = Field(ge=0)


class UsageStep(_Strict):
    """Report usage (``usage_update``): the context used and its size, and what this step cost.

    ``add_cost`` is added to the session's running total, which is what the agent reports (ACP's
    cost is cumulative per session); with no cost yet, none is reported."""

    kind: Literal["usage"]
    used: int = Field(ge=0)
    size: int = Field(ge=0)
    add_cost: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")


class FailStep(_Strict):
    """End the turn with a JSON-RPC error carrying ``message``, as a crashing agent would."""

    kind: Literal["fail"]
    message: str = Field(min_length=1)


Step = Annotated[
    PlanStep
    | MessageStep
    | ThoughtStep
    | ReadStep
    | WriteStep
    | RunStep
    | AskStep
    | PauseStep
    | UsageStep
    | FailStep,
    Field(discriminator="kind"),
]
"""Any playbook step, discriminated by its ``kind`` key."""


class Attempt(_Strict):
    """The steps of one attempt at the task (for playbooks that are sent back and retried)."""

    steps: list[Step] = Field(min_length=1)


class Playbook(_Strict):
    """A whole playbook: a name, and either ``steps`` or ``attempts``."""

    name: str = Field(min_length=1)
    description: str = ""
    steps: list[Step] | None = None
    attempts: list[Attempt] | None = None

    @model_validator(mode="after")
    def _steps_or_attempts(self) -> Playbook:
        if (self.steps is None) == (self.attempts is None):
            raise ValueError("a playbook needs exactly one of 'steps' and 'attempts'")
        if self.steps is not None and not self.steps:
            raise ValueError("'steps' is empty")
        if self.attempts is not None and not self.attempts:
            raise ValueError("'attempts' is empty")
        return self

    def steps_for(self, attempt: int) -> list[Step]:
        """The steps of attempt ``attempt`` (1-based); past the last attempt, the last one."""
        if self.steps is not None:
            return self.steps
        assert self.attempts is not None  # guaranteed by the validator
        index = min(max(attempt, 1), len(self.attempts)) - 1
        return self.attempts[index].steps


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        problems.append(f"{where}: {item['msg']}")
    return "; ".join(problems)


def load_playbook(path: Path) -> Playbook:
    """Read and validate the playbook at ``path``; raise ``PlaybookError`` naming the problem."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlaybookError(f"playbook {path}: cannot read: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PlaybookError(f"playbook {path}: invalid TOML: {exc}") from exc
    try:
        return Playbook.model_validate(raw)
    except ValidationError as exc:
        raise PlaybookError(f"playbook {path}: {_describe(exc)}") from exc
