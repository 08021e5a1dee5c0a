"""A role's turn in words: the prompt an agent is sent, and what it said back.

The prompt is the role's line (from :mod:`agents.roles`), the context document and, on a later
attempt, what went wrong before; what the agent said is read back from the log, so a turn's
result is exactly what was recorded.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from agents.roles.roster import prompt_line
from sessions.schema.session import SessionContext
from sessions.store.event_store import EventStore
from sessions.store.reading import load_session

FAILURES_SHOWN = 3
"""How many earlier failures a retry's prompt repeats (the newest)."""


def prompt_for(
    role: str,
    context: SessionContext,
    *,
    attempt: int,
    failures: list[str],
    verbatim: bool = False,
) -> str:
    """The text sent to an agent: its job, the context document, and any earlier failures —
    or, ``verbatim`` (the role's ``prompt = "verbatim"``), the task exactly as given."""
    if verbatim:
        return context.task
    lines = [prompt_line(role), "", f"Task: {context.task}"]
    for title, items in (
        ("Constraints", context.constraints),
        ("Success criteria", context.success_criteria),
        ("Plan", context.plan),
        ("References", context.references),
    ):
        if items:
            lines += ["", f"{title}:", *(f"- {item}" for item in items)]
    if attempt > 1:
        lines += [
            "",
            f"This is attempt {attempt}. What went wrong before:",
            *failures[-FAILURES_SHOWN:],
        ]
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class TurnOutput:
    """What an agent said during one turn, read back from the log."""

    text: str
    plan: list[str]


async def turn_output(
    store: EventStore, session_id: str, agent_id: str, *, after_seq: int
) -> TurnOutput:
    """The agent's messages and latest plan since ``after_seq`` (all committed first)."""
    await asyncio.to_thread(store.flush)
    records = await asyncio.to_thread(load_session, store.engine, session_id)
    chunks: list[str] = []
    plan: list[str] = []
    for record in records:
        if record.seq <= after_seq:
            continue
        if record.kind == "agent.message" and record.payload.get("agent_id") == agent_id:
            chunks.append(record.payload["text"])
        elif record.kind == "agent.plan" and record.payload.get("agent_id") == agent_id:
            plan = [entry["content"] for entry in record.payload["entries"]]
    return TurnOutput("".join(chunks), plan)
