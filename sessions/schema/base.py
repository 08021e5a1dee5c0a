"""The base of every payload model and the JSON value type they may carry."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, JsonValue

SCHEMA_VERSION = 1
"""The version written into every record's ``schema_version``."""

SYSTEM_SESSION = "_system"
"""The session id of events that belong to no session: policy reloads and rejections."""

JsonObject = dict[str, JsonValue]
"""A JSON object: what free-form parts of a payload (agent input, handoff content) hold."""


class Payload(BaseModel):
    """A typed event payload. Subclasses set ``KIND``, the value of the record's ``kind``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    KIND: ClassVar[str] = ""

    def to_json_obj(self) -> dict[str, Any]:
        """The payload as plain JSON data, defaults omitted so records stay small."""
        data: dict[str, Any] = self.__pydantic_serializer__.to_python(
            self, mode="json", exclude_defaults=True
        )
        return data
