"""The policy file as pydantic models: what may be written in `policy.toml`, and nothing else.

Every model forbids unknown keys, so a typo (`comands`) is an error at load rather than a rule
that silently matches everything. Cross-references (set names, roles, duplicate ids) and the
inline examples are checked by the loader, which knows the line of each rule.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    model_validator,
)

from agents.auth.requests import Decision, ToolKind
from agents.auth.shell_types import Flow

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$", max_length=64)]
Token = Annotated[str, StringConstraints(min_length=1)]
#: One element of a command pattern: a literal token, or a list of alternative literals.
PatternElement = Token | Annotated[list[Token], Field(min_length=1)]
#: A command prefix pattern, e.g. `["git", ["status", "diff"]]`.
Pattern = Annotated[list[PatternElement], Field(min_length=1)]
#: In a `commands` list: a pattern, or `"@name"` naming an entry of `[command_sets]`.
CommandEntry = Token | Pattern


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExampleCall(_Model):
    """A non-shell example: `{tool = "read", path = "~/.ssh/id_rsa"}`."""

    tool: ToolKind | None = None
    command: str | None = None
    path: str | None = None
    role: str | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.command is not None and self.tool not in (None, ToolKind.EXECUTE):
            raise ValueError("an example with 'command' must have tool 'execute'")
        if self.command is not None and self.path is not None:
            raise ValueError("an example has either 'command' or 'path', not both")
        if self.command is None and self.tool is None:
            raise ValueError("an example table needs 'tool' or 'command'")
        return self

    @property
    def kind(self) -> ToolKind:
        """The tool this example stands for (execute when it only gives a command)."""
        return self.tool if self.tool is not None else ToolKind.EXECUTE


#: A shell command for tool execute, or a table for the other tools.
Example = str | ExampleCall


class Rule(_Model):
    """One `[[rules]]` entry: a decision that applies when every matcher present matches."""

    id: Name
    decision: Decision
    reason: str = ""
    tools: Annotated[list[ToolKind], Field(min_length=1)] | None = None
    commands: Annotated[list[CommandEntry], Field(min_length=1)] | None = None
    with_args: Annotated[list[Token], Field(min_length=1)] | None = None
    only_args: list[Token] | None = None
    paths: Annotated[list[Token], Field(min_length=1)] | None = None
    roles: Annotated[list[Name], Field(min_length=1)] | None = None
    flows: Annotated[list[Flow], Field(min_length=1)] | None = None
    match: list[Example] = Field(default_factory=list)
    not_match: list[Example] = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_matcher(self) -> Self:
        matchers = (self.tools, self.commands, self.with_args, self.paths, self.roles, self.flows)
        if all(m is None for m in matchers):
            raise ValueError(
                "a rule needs at least one matcher (tools, commands, paths, roles, flows)"
            )
        if self.only_args is not None and self.commands is None:
            raise ValueError("'only_args' needs 'commands' (it constrains what follows a prefix)")
        return self


class RoleProfile(_Model):
    """`[roles.NAME]`: the most a role may ever do; rules decide within it.

    An absent `paths` or `commands` leaves that dimension to the rules; an empty list forbids it.
    """

    description: str = ""
    tools: list[ToolKind]
    paths: list[Token] | None = None
    commands: list[CommandEntry] | None = None


class Settings(_Model):
    """`[settings]`: knobs read by the approval broker and the file watcher."""

    protected_paths: list[Token] = Field(default_factory=list)
    approval_timeout_s: Annotated[float, Field(gt=0, le=86_400)] = 300.0
    on_violation: Annotated[str, StringConstraints(min_length=1)] | None = None


class Redaction(_Model):
    """`[redaction]`: what the event log and log files mask besides known secrets.

    `patterns` maps a name to a regular expression (Python syntax); every match is replaced by
    `[REDACTED:<name>]`. Credential shapes and known secrets are always masked.
    """

    pii: StrictBool = True
    patterns: dict[Name, Annotated[str, StringConstraints(min_length=1)]] = Field(
        default_factory=dict
    )


class PolicyFile(_Model):
    """The whole `policy.toml`."""

    version: Literal[1] = 1
    settings: Settings = Field(default_factory=Settings)
    redaction: Redaction = Field(default_factory=Redaction)
    command_sets: dict[Name, list[Pattern]] = Field(default_factory=dict)
    path_sets: dict[Name, list[Token]] = Field(default_factory=dict)
    roles: dict[Name, RoleProfile] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
