"""SessionSchema v1: the models, the union on ``kind``, and the committed JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from sessions.schema import KINDS, AgentMessage, SessionCreated, parse_payload, validate_event
from sessions.schema.__main__ import render

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "docs" / "schema" / "session-v1.schema.json"
FIXTURE = ROOT / "tests" / "fixtures" / "session-basic.jsonl"

REQUIRED_KINDS = {
    "session.created",
    "session.state_changed",
    "session.finished",
    "agent.started",
    "agent.message",
    "agent.thought",
    "agent.plan",
    "agent.stopped",
    "agent.failed",
    "agent.history_replayed",
    "agent.controlled",
    "agent.usage",
    "human.message",
    "human.message_delivered",
    "human.message_dropped",
    "review.comments",
    "review.accepted",
    "tool.requested",
    "tool.intent",
    "tool.output",
    "tool.result",
    "policy.decided",
    "approval.requested",
    "approval.resolved",
    "handoff",
    "validation.result",
    "checkpoint",
    "rollback",
    "policy.reloaded",
    "policy.rejected",
    "retry.scheduled",
    "escalation.raised",
    "memory.set",
    "memory.purged",
    "raw",
    "workspace.drift",
    "budget.reached",
    "budget.raised",
    "worktree.created",
    "worktree.kept",
    "worktree.merged",
    "worktree.discarded",
    "worktree.refused",
}


def test_every_kind_the_later_work_needs_is_modelled() -> None:
    assert set(KINDS) == REQUIRED_KINDS


def test_committed_schema_matches_the_models() -> None:
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    assert committed == render(), (
        "docs/schema/session-v1.schema.json is stale: run `.venv/bin/python -m sessions.schema`"
    )


def test_fixture_lines_are_valid_against_the_committed_schema() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 16
    for line in lines:
        record = json.loads(line)
        validator.validate(record)
        assert validate_event(record).kind == record["kind"]


def _record(kind: str, payload: dict[str, object]) -> dict[str, object]:
    return {
        "seq": 1,
        "session_id": "s",
        "session_seq": 1,
        "ts": "2026-01-01T00:00:00.000000Z",
        "actor": "a",
        "kind": kind,
        "schema_version": 1,
        "payload": payload,
        "prev_hash": "0" * 64,
        "hash": "f" * 64,
    }


def test_the_union_dispatches_on_kind() -> None:
    event = validate_event(_record("agent.message", {"agent_id": "a1", "text": "hi"}))
    assert isinstance(event.payload, AgentMessage)


@pytest.mark.parametrize(
    ("kind", "payload", "problem"),
    [
        ("no.such.kind", {}, "union_tag_invalid"),
        ("agent.message", {"agent_id": "a1"}, "missing"),
        ("agent.message", {"agent_id": "a1", "text": "x", "extra": 1}, "extra_forbidden"),
        ("session.state_changed", {"from_state": "created", "to_state": "exploded"}, "enum"),
    ],
)
def test_invalid_records_are_refused(kind: str, payload: dict[str, object], problem: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_event(_record(kind, payload))
    assert problem in str(info.value.errors()[0]["type"])


def test_bad_envelope_fields_are_refused() -> None:
    record = _record("agent.message", {"agent_id": "a1", "text": "hi"})
    for field, value in [("ts", "yesterday"), ("hash", "xyz"), ("seq", 0), ("schema_version", 2)]:
        with pytest.raises(ValidationError):
            validate_event({**record, field: value})


def test_payloads_are_frozen_and_dump_without_defaults() -> None:
    created = SessionCreated(title="t")
    assert created.to_json_obj() == {"title": "t"}
    with pytest.raises(ValidationError):
        created.title = "other"  # type: ignore[misc]
    assert parse_payload("session.created", {"title": "t"}) == created
