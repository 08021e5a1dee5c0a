"""How one record becomes one row of a session's timeline; pure, shared by live view and replay."""

from __future__ import annotations

from typing import Literal, cast

from pydantic import ValidationError

from sessions.readmodel.describe import describe
from sessions.readmodel.views import Category, TimelineEntry
from sessions.schema.base import Payload
from sessions.schema.flow import EscalationRaised
from sessions.schema.policy import ApprovalRequested, ApprovalResolved, PolicyDecided
from sessions.schema.registry import PAYLOADS
from sessions.store.record import Record

_CATEGORIES: dict[str, Category] = {
    "handoff": "handoff",
    "tool.requested": "tool",
    "tool.intent": "tool",
    "tool.output": "tool",
    "agent.controlled": "state",
    "tool.result": "tool",
    "policy.decided": "decision",
    "approval.requested": "approval",
    "approval.resolved": "approval",
    "review.comments": "approval",
    "review.accepted": "approval",
    "validation.result": "validation",
    "checkpoint": "checkpoint",
    "rollback": "checkpoint",
    "escalation.raised": "escalation",
    "workspace.drift": "escalation",
    "agent.failed": "error",
    "retry.scheduled": "error",
    "policy.rejected": "error",
    "agent.thought": "message",
    "human.message": "message",
    "human.message_delivered": "message",
    "human.message_dropped": "message",
    "agent.plan": "message",
    "session.created": "state",
    "session.state_changed": "state",
    "session.finished": "state",
    "agent.started": "state",
    "agent.history_replayed": "state",
    "agent.stopped": "state",
    "budget.reached": "escalation",
    "budget.raised": "approval",
    "worktree.created": "state",
    "worktree.kept": "state",
    "worktree.merged": "state",
    "worktree.discarded": "state",
    "worktree.refused": "error",
}
"""The timeline category of each kind; any other kind (memory, reloads, unknown) is "other"."""

_UNLISTED = frozenset({"raw", "agent.message"})
"""Kinds with no timeline row: raw frames, and message chunks, which the agent panel shows."""


_NAMED = {
    field: frozenset(c for c in PAYLOADS.values() if field in c.model_fields)
    for field in ("agent_id", "call_id")
}


def named(payload: Payload | None, field: Literal["agent_id", "call_id"]) -> str | None:
    """The payload's ``agent_id`` or ``call_id`` when its kind has one (looked up by class: a
    pydantic model's missing attribute takes a slow path through ``__getattr__``)."""
    if type(payload) not in _NAMED[field]:
        return None
    value = getattr(payload, field)
    return value if isinstance(value, str) else None


def has_entry(kind: str) -> bool:
    """Whether records of ``kind`` have a timeline row."""
    return kind not in _UNLISTED


_DATA_KINDS = frozenset({"raw", "agent.history_replayed"})
"""Records kept whole for the audit (frames), which no view folds."""


def parse_record(record: Record) -> Payload | None:
    """The record's typed payload; ``None`` for raw frames, unknown kinds and invalid payloads."""
    cls = PAYLOADS.get(record.kind)
    if cls is None or record.kind in _DATA_KINDS:  # large, and no view reads their data
        return None
    try:  # the validator itself: model_validate_json's wrapper costs as much again
        return cast(Payload, cls.__pydantic_validator__.validate_json(record.payload_json))
    except ValidationError:
        return None


_UNPARSED: Payload | None = Payload.model_construct()


def timeline_entry(record: Record, payload: Payload | None = _UNPARSED) -> TimelineEntry | None:
    """The timeline row of ``record``, or ``None`` for raw frames and message chunks;
    ``payload`` is the record's parsed payload when the caller already has it."""
    if record.kind in _UNLISTED:
        return None
    if payload is _UNPARSED:
        payload = parse_record(record)
    decision: str | None = None
    rule_id: str | None = None
    decided_by: str | None = None
    match payload:
        case PolicyDecided():
            decision, rule_id, decided_by = payload.decision, payload.rule_id, payload.decided_by
        case ApprovalResolved():
            decision, decided_by = payload.outcome, payload.decided_by
        case ApprovalRequested() | EscalationRaised():
            rule_id = payload.rule_id
        case _:
            pass
    return TimelineEntry(
        seq=record.seq,
        ts=record.ts,
        session_id=record.session_id,
        actor=record.actor,
        kind=record.kind,
        summary=describe(record),
        category=_CATEGORIES.get(record.kind, "other"),
        agent_id=named(payload, "agent_id"),
        decision=decision,
        rule_id=rule_id,
        decided_by=decided_by,
    )
