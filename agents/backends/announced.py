"""Tool calls an agent announced, merged by ``toolCallId``, to complete its permission requests.

Agents describe a tool call in a ``tool_call`` update and patch it with ``tool_call_update``s
(title, kind, locations, ``rawInput``, a diff in ``content``), then send a
``session/request_permission`` whose ``toolCall`` may carry only the id, title and kind. The
gate and the human must see what was announced: :meth:`AnnouncedCalls.enrich` lays the
permission's own fields over everything announced under the same id. Fed from the raw frames
(the SDK drops fields it does not model), in wire order, before the permission is handled.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from acp.schema import ToolCallUpdate
from pydantic import ValidationError

ANNOUNCED_LIMIT = 256
"""Tool calls remembered per agent at most (the oldest are forgotten first)."""

_FIELDS = ("title", "kind", "status", "content", "locations", "rawInput")
_UPDATES = ("tool_call", "tool_call_update")


def _says_something(value: object) -> bool:
    """An absent or empty field adds nothing (an update's ``content: []`` keeps the diff)."""
    return value is not None and value != [] and value != {} and value != ""


class AnnouncedCalls:
    """One agent's announced tool calls, each the merge of its updates."""

    def __init__(self, *, limit: int = ANNOUNCED_LIMIT) -> None:
        self._calls: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._limit = limit

    def __len__(self) -> int:
        return len(self._calls)

    def note(self, update: object) -> None:
        """Merge one raw ``params.update`` object; anything but a tool call update is ignored."""
        if not isinstance(update, Mapping) or update.get("sessionUpdate") not in _UPDATES:
            return
        call_id = update.get("toolCallId")
        if not isinstance(call_id, str):
            return
        merged = self._calls.pop(call_id, {})
        for field in _FIELDS:
            value = update.get(field)
            if _says_something(value):
                merged[field] = value
        self._calls[call_id] = merged
        while len(self._calls) > self._limit:
            self._calls.popitem(last=False)

    def get(self, call_id: str) -> dict[str, Any] | None:
        """What was announced under ``call_id`` (camelCase, as on the wire), if anything."""
        return self._calls.get(call_id)

    def enrich(self, tool_call: ToolCallUpdate) -> ToolCallUpdate:
        """``tool_call`` with everything announced under its id that it does not say itself.

        An announcement that no longer validates (an agent's own content type, say) is left
        out rather than failing the permission request.
        """
        announced = self._calls.get(tool_call.tool_call_id)
        if not announced:
            return tool_call
        own = tool_call.model_dump(by_alias=True, exclude_none=True, mode="json")
        merged = {**announced, **{k: v for k, v in own.items() if _says_something(v)}}
        try:
            return ToolCallUpdate.model_validate(merged)
        except ValidationError:
            return tool_call
