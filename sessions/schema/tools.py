"""Tool-call events: requested by an agent, the journal's intent, and the result."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sessions.schema.base import JsonObject, Payload


class ToolCallRequested(Payload):
    """A tool call: as the gate is about to decide it, or (``announced``) as the agent described
    it in a ``tool_call`` update. Only gate-side requests have a ``policy.decided`` of their own."""

    KIND = "tool.requested"

    agent_id: str
    call_id: str
    tool: str
    title: str = ""
    command: str | None = None
    paths: list[str] = Field(default_factory=list)
    cwd: str | None = None
    role: str | None = None
    announced: bool = False
    raw_input: JsonObject | None = None


class ToolIntent(Payload):
    """Committed durably before a write or a command runs, so a crash leaves a visible trace."""

    KIND = "tool.intent"

    call_id: str
    idempotency_key: str
    action: Literal["write", "execute", "delete", "move"]
    argv: list[str] | None = None
    path: str | None = None
    cwd: str | None = None
    approval_id: str | None = None


class ToolResult(Payload):
    """What the tool call did: completed, failed, or unknown after a crash."""

    KIND = "tool.result"

    call_id: str
    idempotency_key: str | None = None
    status: Literal["completed", "failed", "denied", "cancelled", "outcome_unknown"]
    exit_code: int | None = None
    output: str = ""
    truncated: bool = False
    duration_ms: float | None = None


class ToolOutput(Payload):
    """Output of a running command, streamed as it arrives (bounded per command)."""

    KIND = "tool.output"

    call_id: str
    text: str
    truncated: bool = False
