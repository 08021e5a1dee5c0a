"""Agent events: started (and how it is sandboxed), message, thought, plan, usage, stopped,
failed."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from sessions.schema.base import Payload


class SandboxInfo(BaseModel):
    """How an agent process (and the commands run for it) is confined."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["bwrap", "none"]
    network: Literal["on", "off"] = "on"
    writable: list[str] = []
    """Besides a private /tmp: the workspace and the agent's state directories."""
    hidden: list[str] = []
    reason: str = ""
    """Why the agent runs unconfined, when it does."""


class AgentStarted(Payload):
    """An agent process (or built-in agent) started for a role."""

    KIND = "agent.started"

    agent_id: str
    role: str
    backend: str
    command: list[str] | None = None
    pid: int | None = None
    protocol_version: int | None = None
    acp_session_id: str | None = None
    """The agent's own session id (ACP ``sessionId``): what ``resume`` asks it to load."""
    loaded: bool = False
    """The agent reopened its earlier session (``session/load``) instead of a new one."""
    sandbox: SandboxInfo | None = None
    """None for agents started before sandboxes were recorded (and for built-in ones)."""


class AgentMessage(Payload):
    """A chunk of text the agent said to the user."""

    KIND = "agent.message"

    agent_id: str
    text: str


class AgentThought(Payload):
    """A chunk of the agent's visible reasoning."""

    KIND = "agent.thought"

    agent_id: str
    text: str


class PlanEntry(BaseModel):
    """One step of an agent's plan, as ACP describes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    content: str
    status: Literal["pending", "in_progress", "completed"] = "pending"
    priority: Literal["high", "medium", "low"] = "medium"


class AgentPlan(Payload):
    """The agent published (or replaced) its plan."""

    KIND = "agent.plan"

    agent_id: str
    entries: list[PlanEntry]


class AgentUsage(Payload):
    """What an agent reported of its context and cost (ACP ``usage_update``), when it changed.

    Every field but the agent is optional: an agent may leave any of them out. ``cost`` is, as
    ACP defines it, the total so far of the agent's ACP session ``acp_session_id`` (not of this
    turn): an agent restarted in a new ACP session starts again from zero."""

    KIND = "agent.usage"

    agent_id: str
    acp_session_id: str | None = None
    used: int | None = Field(default=None, ge=0)
    """Tokens in its context now."""
    size: int | None = Field(default=None, ge=0)
    """Its context window, in tokens."""
    cost: float | None = None
    """Cumulative cost of its ACP session, in ``currency``."""
    currency: str | None = None
    """ISO 4217 code ("USD", "EUR"), as the agent reported it."""


class AgentStopped(Payload):
    """The agent finished its turn or was stopped."""

    KIND = "agent.stopped"

    agent_id: str
    stop_reason: str = "end_turn"


class AgentFailed(Payload):
    """The agent died or misbehaved; ``stderr_tail`` holds its last words."""

    KIND = "agent.failed"

    agent_id: str
    error: str
    exit_code: int | None = None
    stderr_tail: str = ""
    login_required: bool = False
    """The agent needs a login (``error`` says which and how): never retried."""


class AgentHistoryReplayed(Payload):
    """What an agent streamed while reloading its earlier session (``session/load``).

    Kept whole, once, in this one record and not as new messages: it is history the log
    already holds, not new work."""

    KIND = "agent.history_replayed"

    agent_id: str
    acp_session_id: str
    frames: list[JsonValue]
    """The ``session/update`` notifications as the agent sent them, in order."""


class AgentControlled(Payload):
    """A person paused, resumed or cancelled one agent (its next turn waits, or its turn ends)."""

    KIND = "agent.controlled"

    agent_id: str
    action: Literal["pause", "resume", "cancel"]
    by: str | None = None
