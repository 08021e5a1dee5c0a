"""A role's turn in words: the prompt an agent is sent, and what it said back.

The prompt is the role's line (from :mod:`agents.roles`), the context document and, on a later
attempt, what went wrong before; what the agent said is read back from the log, so a turn's
result is exactly what was recorded — and so is whether its actions were refused: every tool
call the gate decided for the agent in the turn was denied (by the policy, or an approval
denied, timed out or cancelled) and none that was allowed did any work (a journaled intent).
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
        ("Changes asked for in review of earlier work", context.feedback),
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
    """What an agent said during one turn, read back from the log, and what it got to do."""

    text: str
    plan: list[str]
    refused: int = 0
    """Tool calls of the agent the gate finally denied in the turn."""
    worked: int = 0
    """Allowed calls that did work (a write or a command: each has a ``tool.intent``)."""

    @property
    def all_refused(self) -> bool:
        """The agent asked to act and every action was refused: the work was not done."""
        return self.refused > 0 and self.worked == 0


async def turn_output(
    store: EventStore, session_id: str, agent_id: str, *, after_seq: int
) -> TurnOutput:
    """The agent's messages and latest plan since ``after_seq`` (all committed first)."""
    await asyncio.to_thread(store.flush)
    records = await asyncio.to_thread(load_session, store.engine, session_id)
    chunks: list[str] = []
    plan: list[str] = []
    calls: set[str] = set()
    final: dict[str, str] = {}  # the last decision on each call: an "ask" is followed by one
    worked = 0
    for record in records:
        if record.seq <= after_seq:
            continue
        kind, payload = record.kind, record.payload
        if kind == "agent.message" and payload.get("agent_id") == agent_id:
            chunks.append(payload["text"])
        elif kind == "agent.plan" and payload.get("agent_id") == agent_id:
            plan = [entry["content"] for entry in payload["entries"]]
        elif kind == "tool.requested" and payload.get("agent_id") == agent_id:
            if not payload.get("announced"):
                calls.add(str(payload["call_id"]))
        elif kind == "policy.decided" and payload.get("call_id") in calls:
            final[str(payload["call_id"])] = str(payload["decision"])
        elif kind == "tool.intent" and record.actor == agent_id:
            worked += 1
    refused = sum(1 for decision in final.values() if decision == "deny")
    return TurnOutput("".join(chunks), plan, refused=refused, worked=worked)


UNDONE_STOPS = frozenset({"cancelled", "refusal"})
"""ACP stop reasons of a turn that did not do its work: cancelled, or the agent refused."""


def unfinished(role: str, stop_reason: str | None, output: TurnOutput | None) -> str | None:
    """Why ``role``'s last turn did not do its work, in words; None when nothing says so."""
    if stop_reason in UNDONE_STOPS:
        return f"the {role}'s last turn ended {stop_reason!r}: its work was not done"
    if output is not None and output.all_refused:
        return (
            f"every action the {role} asked for in its last turn was refused"
            f" ({output.refused} refused, nothing done): its work was not done"
        )
    return None
