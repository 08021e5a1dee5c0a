"""Raw ``session/update`` objects mapped to v1 payloads; unknown kinds map to nothing."""

from __future__ import annotations

from pathlib import Path

from acp.schema import PermissionOption, ToolCallUpdate

from agents.auth.requests import ToolKind
from agents.backends.permissions import CANCELLED, choose, request_for
from agents.backends.updates import map_update
from sessions.schema.agent import AgentMessage, AgentPlan, AgentThought
from sessions.schema.tools import ToolCallRequested


def test_message_and_thought_chunks() -> None:
    text = {"type": "text", "text": "hi"}
    assert map_update("a", {"sessionUpdate": "agent_message_chunk", "content": text}) == (
        AgentMessage(agent_id="a", text="hi")
    )
    assert map_update("a", {"sessionUpdate": "agent_thought_chunk", "content": text}) == (
        AgentThought(agent_id="a", text="hi")
    )


def test_an_image_chunk_has_no_v1_model() -> None:
    image = {"type": "image", "data": "", "mimeType": "image/png"}
    assert map_update("a", {"sessionUpdate": "agent_message_chunk", "content": image}) is None


def test_plan_entries_with_odd_values_are_kept_with_defaults() -> None:
    plan = map_update(
        "a",
        {
            "sessionUpdate": "plan",
            "entries": [
                {"content": "one", "status": "in_progress", "priority": "high"},
                {"content": "two", "status": "weird", "priority": "?"},
                {"nope": 1},
            ],
        },
    )
    assert isinstance(plan, AgentPlan)
    assert [(e.content, e.status, e.priority) for e in plan.entries] == [
        ("one", "in_progress", "high"),
        ("two", "pending", "medium"),
    ]


def test_a_tool_call_keeps_raw_input_and_locations() -> None:
    payload = map_update(
        "a",
        {
            "sessionUpdate": "tool_call",
            "toolCallId": "t1",
            "title": "Run",
            "kind": "execute",
            "rawInput": {"command": "ls -la", "extra": [1]},
            "locations": [{"path": "/w/x"}],
            "name": "Bash",
        },
    )
    assert payload == ToolCallRequested(
        agent_id="a",
        call_id="t1",
        tool="execute",
        announced=True,
        title="Run",
        command="ls -la",
        paths=["/w/x"],
        raw_input={"command": "ls -la", "extra": [1]},
    )


def test_unknown_and_malformed_updates_map_to_nothing() -> None:
    assert map_update("a", {"sessionUpdate": "mystery"}) is None
    assert map_update("a", {"sessionUpdate": "tool_call_update", "toolCallId": "t"}) is None
    assert map_update("a", "not an object") is None


def test_permission_requests_map_kind_and_raw_input(tmp_path: Path) -> None:
    call = ToolCallUpdate(
        tool_call_id="p", kind="switch_mode", raw_input={"cmd": ["git", "status"], "path": "a.txt"}
    )
    request = request_for(call, role="implementer", workspace=tmp_path)
    assert request.tool is ToolKind.OTHER
    assert request.command == "git status"
    assert request.paths == (str(tmp_path / "a.txt"),)


def test_options_are_chosen_by_kind() -> None:
    options = [
        PermissionOption(option_id="n", name="No", kind="reject_always"),
        PermissionOption(option_id="y2", name="Always", kind="allow_always"),
        PermissionOption(option_id="y1", name="Once", kind="allow_once"),
    ]
    allowed = choose(options, True).outcome
    denied = choose(options, False).outcome
    assert getattr(allowed, "option_id", None) == "y1"
    assert getattr(denied, "option_id", None) == "n"
    assert choose(options[1:], False) == CANCELLED
