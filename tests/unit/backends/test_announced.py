"""Announced tool calls complete the permission requests that name them."""

from __future__ import annotations

from pathlib import Path

from acp.schema import FileEditToolCallContent, ToolCallUpdate

from agents.auth.requests import ToolKind
from agents.backends.announced import AnnouncedCalls
from agents.backends.permissions import diff_of, request_for, summary_of

WS = Path("/ws")

# What fast-agent 0.10 sends for `write_text_file`, in order (its frames, trimmed).
ANNOUNCED = [
    {
        "sessionUpdate": "tool_call",
        "toolCallId": "84f3",
        "title": "write_text_file",
        "kind": "edit",
        "status": "pending",
        "content": [],
        "rawInput": {"path": "/ws/hello.txt", "content_length": 9},
    },
    {
        "sessionUpdate": "tool_call_update",
        "toolCallId": "84f3",
        "content": [{"type": "diff", "path": "/ws/hello.txt", "newText": "hi there\n"}],
    },
    {"sessionUpdate": "tool_call_update", "toolCallId": "84f3", "status": "pending"},
]


def test_a_bare_permission_gets_the_announced_path_diff_and_input() -> None:
    calls = AnnouncedCalls()
    for update in ANNOUNCED:
        calls.note(update)
    bare = ToolCallUpdate(tool_call_id="84f3", title="write_text_file", kind="edit")
    enriched = calls.enrich(bare)
    assert enriched.raw_input == {"path": "/ws/hello.txt", "content_length": 9}
    [diff] = enriched.content or []
    assert isinstance(diff, FileEditToolCallContent) and diff.new_text == "hi there\n"
    request = request_for(enriched, role="implementer", workspace=WS)
    assert request.tool is ToolKind.EDIT and request.paths == ("/ws/hello.txt",)
    assert summary_of(enriched, request) == "write_text_file: /ws/hello.txt"
    shown = diff_of(enriched)
    assert shown is not None and "+hi there" in shown and "+++ /ws/hello.txt" in shown
    # Without the announcement the gate would decide an edit with no path and no diff.
    assert request_for(bare, role="implementer", workspace=WS).paths == ()
    assert diff_of(bare) is None


def test_the_permission_s_own_fields_win() -> None:
    calls = AnnouncedCalls()
    calls.note({"sessionUpdate": "tool_call", "toolCallId": "t", "title": "old", "kind": "read"})
    asked = ToolCallUpdate(tool_call_id="t", title="Run make", kind="execute")
    enriched = calls.enrich(asked)
    assert (enriched.title, enriched.kind) == ("Run make", "execute")


def test_other_ids_and_other_updates_add_nothing() -> None:
    calls = AnnouncedCalls()
    calls.note({"sessionUpdate": "agent_message_chunk", "toolCallId": "t"})
    calls.note({"sessionUpdate": "tool_call", "toolCallId": 7})
    calls.note("not an update")
    assert len(calls) == 0
    calls.note({"sessionUpdate": "tool_call", "toolCallId": "a", "rawInput": {"command": "ls"}})
    bare = ToolCallUpdate(tool_call_id="b", title="x")
    assert calls.enrich(bare) is bare


def test_announced_fields_that_do_not_validate_are_left_out() -> None:
    calls = AnnouncedCalls()
    calls.note(
        {"sessionUpdate": "tool_call", "toolCallId": "t", "kind": "nonsense", "rawInput": {"a": 1}}
    )
    enriched = calls.enrich(ToolCallUpdate(tool_call_id="t", title="x"))
    assert (enriched.title, enriched.kind, enriched.raw_input) == ("x", None, {"a": 1})


def test_the_cache_is_bounded_and_forgets_the_oldest() -> None:
    calls = AnnouncedCalls(limit=2)
    for i in range(3):
        calls.note({"sessionUpdate": "tool_call", "toolCallId": f"t{i}", "title": f"n{i}"})
    assert len(calls) == 2 and calls.get("t0") is None and calls.get("t2") == {"title": "n2"}
