"""The context document of a session, folded from its log: task, constraints, plan, references."""

from __future__ import annotations

from collections.abc import Iterable

from sessions.schema.session import SessionContext
from sessions.store.record import Record


def session_context(records: Iterable[Record]) -> SessionContext | None:
    """The context as the agents last received it: the task and constraints of
    ``session.created``, updated by the plan the planner handed over and researchers' notes."""
    context: SessionContext | None = None
    for record in records:
        if record.kind == "session.created":
            data = record.payload.get("context")
            if data is not None:
                context = SessionContext.model_validate(data)
        elif record.kind == "handoff" and context is not None:
            payload = record.payload
            content = payload.get("content", {})
            route = (payload["from_role"], payload["to_role"])
            if route == ("planner", "orchestrator"):
                context = context.model_copy(
                    update={
                        "plan": content.get("plan", context.plan),
                        "constraints": content.get("constraints") or context.constraints,
                        "success_criteria": content.get("success_criteria")
                        or context.success_criteria,
                    }
                )
            elif route == ("researcher", "planner") and content.get("notes"):
                context = context.model_copy(
                    update={"references": [*context.references, content["notes"]]}
                )
    return context
