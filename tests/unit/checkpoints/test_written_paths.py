"""Which paths a session's own allowed tool calls wrote: the last decision on a call holds."""

from __future__ import annotations

from pathlib import Path

import orjson

from agents.checkpoints.rollback import written_paths
from sessions.store.record import Record

WS = Path("/ws")


def _record(seq: int, kind: str, payload: dict[str, object]) -> Record:
    return Record(seq, "s", seq, "", "auth", kind, 1, orjson.dumps(payload).decode(), "", "")


def test_a_call_allowed_by_its_verdict_then_refused_wrote_nothing() -> None:
    records = [
        _record(1, "tool.requested", {"call_id": "w1", "tool": "edit", "paths": ["/ws/a"]}),
        _record(2, "policy.decided", {"call_id": "w1", "decision": "allow"}),  # the verdict
        _record(3, "policy.decided", {"call_id": "w1", "decision": "deny"}),  # its permission
        _record(4, "tool.requested", {"call_id": "w2", "tool": "edit", "paths": ["/ws/b"]}),
        _record(5, "policy.decided", {"call_id": "w2", "decision": "ask"}),
        _record(6, "policy.decided", {"call_id": "w2", "decision": "allow"}),
    ]
    assert written_paths(records, [WS]) == {"b"}
