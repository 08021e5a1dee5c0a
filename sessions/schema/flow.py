"""Workflow events: handoffs, validation, checkpoints, drift, retries, escalations, memory, raw."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from sessions.schema.base import JsonObject, Payload


class HandoffMade(Payload):
    """Work passed explicitly from one role to another, with everything it carried."""

    KIND = "handoff"

    from_role: str
    to_role: str
    reason: str = ""
    content: JsonObject = Field(default_factory=dict)
    attempt: int = 1


class ValidationFinished(Payload):
    """The validator ran one check; a pass marks a known-good state."""

    KIND = "validation.result"

    check: str
    passed: bool
    command: list[str] | None = None
    exit_code: int | None = None
    output: str = ""
    attempt: int = 1


class CheckpointTaken(Payload):
    """The workspace was snapshotted at this point of the log."""

    KIND = "checkpoint"

    checkpoint_id: str
    at_seq: int
    known_good: bool = False
    label: str = ""


class RolledBack(Payload):
    """The workspace and session state were restored to an earlier checkpoint."""

    KIND = "rollback"

    to_seq: int
    checkpoint_id: str
    safety_checkpoint_id: str
    files_restored: int = 0


class DriftedFile(BaseModel):
    """One file that changed with no allowed action to explain it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Literal["added", "modified", "deleted"]
    path: str
    """Relative to the workspace."""


class WorkspaceDrift(Payload):
    """After an agent's turn, files changed that no allowed write or command explains."""

    KIND = "workspace.drift"

    agent_id: str
    turn: int
    """The agent's turn in the session, from 1."""
    files: list[DriftedFile]
    total: int
    """How many files drifted (``files`` holds at most the first 200)."""


class RetryScheduled(Payload):
    """A failed operation will be tried again after a backoff delay."""

    KIND = "retry.scheduled"

    operation: str
    attempt: int
    delay_s: float
    error: str


class EscalationRaised(Payload):
    """Something needs a human's attention: a policy violation, a stuck agent, a dead letter."""

    KIND = "escalation.raised"

    reason: str
    severity: Literal["info", "warning", "critical"] = "warning"
    call_id: str | None = None
    rule_id: str | None = None
    agent_id: str | None = None


class MemorySet(Payload):
    """An agent stored a value in the session's scratch memory.

    The value itself lives only in the memory table, which is purged at completion; the log
    keeps its digest and size so nothing outlives the session yet the write stays auditable.
    """

    KIND = "memory.set"

    key: str
    value_sha256: str
    size_bytes: int
    expires_at: str | None = None


class MemoryPurged(Payload):
    """Session memory was purged; the keys say what, never the values."""

    KIND = "memory.purged"

    keys: list[str]
    reason: Literal["completed", "expired", "cancelled", "manual"] = "completed"


class RawRecorded(Payload):
    """Anything an agent sent that SessionSchema v1 does not model; kept, never dropped."""

    KIND = "raw"

    source: str
    direction: Literal["in", "out", "internal"] = "in"
    method: str | None = None
    data: JsonValue = None
