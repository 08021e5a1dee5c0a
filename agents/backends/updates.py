"""Map raw ACP ``session/update`` notifications to SessionSchema v1 payloads.

We map from the raw frame, not from the SDK's typed models: the SDK drops update kinds it does
not know and strips fields it does not model (acp.md §5.3), and the log must keep both. Updates
with no v1 model return None; the frame recorder has already kept them whole as ``raw``.
"""

from __future__ import annotations

from typing import Any, Literal, cast

from pydantic import JsonValue

from sessions.schema.agent import AgentMessage, AgentPlan, AgentThought, PlanEntry
from sessions.schema.base import Payload
from sessions.schema.tools import ToolCallRequested

_STATUSES = ("pending", "in_progress", "completed")
_PRIORITIES = ("high", "medium", "low")


def _text(content: object) -> str | None:
    """The text of a content block, or None for images, audio and resources."""
    if isinstance(content, dict) and content.get("type") == "text":
        text = content.get("text")
        return text if isinstance(text, str) else None
    return None


def _plan_entry(raw: object) -> PlanEntry | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("content"), str):
        return None
    status = raw.get("status")
    priority = raw.get("priority")
    return PlanEntry(
        content=raw["content"],
        status=cast(
            Literal["pending", "in_progress", "completed"],
            status if status in _STATUSES else "pending",
        ),
        priority=cast(
            Literal["high", "medium", "low"], priority if priority in _PRIORITIES else "medium"
        ),
    )


def tool_call_paths(update: dict[str, Any]) -> list[str]:
    """The paths a tool call names in its ``locations``."""
    locations = update.get("locations")
    if not isinstance(locations, list):
        return []
    return [
        loc["path"]
        for loc in locations
        if isinstance(loc, dict) and isinstance(loc.get("path"), str)
    ]


def map_update(agent_id: str, update: object) -> Payload | None:
    """The v1 payload for one ``params.update`` object, or None when v1 has no model for it."""
    if not isinstance(update, dict):
        return None
    kind = update.get("sessionUpdate")
    if kind in ("agent_message_chunk", "agent_thought_chunk"):
        text = _text(update.get("content"))
        if text is None:
            return None
        if kind == "agent_message_chunk":
            return AgentMessage(agent_id=agent_id, text=text)
        return AgentThought(agent_id=agent_id, text=text)
    if kind == "plan":
        raw_entries = update.get("entries")
        if not isinstance(raw_entries, list):
            return None
        entries = [e for e in (_plan_entry(r) for r in raw_entries) if e is not None]
        return AgentPlan(agent_id=agent_id, entries=entries)
    if kind == "tool_call" and isinstance(update.get("toolCallId"), str):
        raw_input = update.get("rawInput")
        command = raw_input.get("command") if isinstance(raw_input, dict) else None
        return ToolCallRequested(
            agent_id=agent_id,
            call_id=update["toolCallId"],
            tool=str(update.get("kind") or "other"),
            title=str(update.get("title") or ""),
            command=command if isinstance(command, str) else None,
            paths=tool_call_paths(update),
            announced=True,
            raw_input=cast(dict[str, JsonValue], raw_input)
            if isinstance(raw_input, dict)
            else None,
        )
    return None
