"""The discriminated union of SessionSchema v1: one envelope model per ``kind``.

Each payload class declares its ``KIND``; this module builds, for each, an envelope model whose
``kind`` is that literal and whose ``payload`` is that class, and unions them on ``kind``. The
generated JSON Schema (``docs/schema/session-v1.schema.json``) is this union's schema.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

from sessions.schema import agent, flow, human, policy, review, session, tools, worktree
from sessions.schema.base import Payload

HASH_PATTERN = r"^[0-9a-f]{64}$"
TS_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$"


class EventModel(BaseModel):
    """The envelope every record shares; ``kind`` and ``payload`` are narrowed per kind."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int = Field(ge=1, description="Global, gapless position in the chain.")
    session_id: str = Field(min_length=1)
    session_seq: int = Field(ge=1, description="Gapless position within the session.")
    ts: str = Field(pattern=TS_PATTERN, description="UTC time, microseconds, 'Z' suffix.")
    actor: str = Field(min_length=1, description="Who caused it: orchestrator, agent id, human.")
    kind: str
    schema_version: Literal[1] = 1
    payload: Payload
    prev_hash: str = Field(pattern=HASH_PATTERN)
    hash: str = Field(pattern=HASH_PATTERN)


def _payload_classes() -> list[type[Payload]]:
    found: list[type[Payload]] = []
    for module in (session, agent, tools, policy, flow, human, review, worktree):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Payload) and value.KIND:
                found.append(value)
    return found


PAYLOADS: dict[str, type[Payload]] = {cls.KIND: cls for cls in _payload_classes()}
"""Every payload class by its ``kind``."""

KINDS: tuple[str, ...] = tuple(sorted(PAYLOADS))
"""Every ``kind`` SessionSchema v1 knows."""


def _envelope(cls: type[Payload]) -> type[EventModel]:
    name = cls.__name__ + "Event"
    model: type[EventModel] = create_model(
        name,
        __base__=EventModel,
        __doc__=f"A record whose payload is {cls.__name__}: {cls.__doc__}",
        kind=(Literal[cls.KIND], ...),  # type: ignore[arg-type]
        payload=(cls, ...),
    )
    return model


ENVELOPES: dict[str, type[EventModel]] = {kind: _envelope(PAYLOADS[kind]) for kind in KINDS}

AnyEvent: Any = Annotated[
    Union[tuple(ENVELOPES.values())],  # noqa: UP007
    Field(discriminator="kind"),
]
"""One record of SessionSchema v1, discriminated on ``kind``."""

EVENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(AnyEvent)


def payload_type(kind: str) -> type[Payload]:
    """The payload class for ``kind``; ``KeyError`` when v1 has no such kind."""
    return PAYLOADS[kind]


def parse_payload(kind: str, data: Any) -> Payload:
    """Validate ``data`` as the payload of ``kind``; raises ``KeyError`` or ``ValidationError``."""
    return PAYLOADS[kind].model_validate(data)


def validate_event(data: Any) -> EventModel:
    """Validate one whole record (a dict, as exported) against SessionSchema v1."""
    event: EventModel = EVENT_ADAPTER.validate_python(data)
    return event


def json_schema() -> dict[str, Any]:
    """The JSON Schema of one record, as committed in ``docs/schema/session-v1.schema.json``."""
    schema = EVENT_ADAPTER.json_schema(ref_template="#/$defs/{model}")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://quarterdeck.dev/schema/session-v1.schema.json"
    schema["title"] = "Quarterdeck SessionSchema v1 record"
    return schema
