"""The team a recorded session ran with, as far as its log tells it.

``session.created`` names the team but does not copy it, so the re-drive reads the roles off
the log: every role that started an agent or took part in a handoff; the validator with the
checks it ran (never run again: their results are replayed); a human reviewer when reviews were
asked through the approvals queue; and as many attempts as the log used — a session that failed
after N attempts had ``max_attempts`` N, one that succeeded at attempt N needed no more. A role
whose agent was prompted with the task itself, nothing around it, had ``prompt = "verbatim"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from agents.team import ROLES, Backend, Check, RoleConfig, Team, Workflow
from sessions.store.record import Record

RECORDED = "recorded"
"""The command of a re-driven agent role: nothing is ever started, its frames are replayed."""

_PLACEHOLDER = Check(name="recorded", command=["true"])


def recorded_team(records: Iterable[Record], name: str) -> Team:
    """The team of a session's ``records`` (every run of it)."""
    roles: set[str] = set()
    checks: dict[str, Check] = {}
    human_review = False
    attempts = 1
    task: object = None
    role_of: dict[str, str] = {}
    prompted: dict[str, object] = {}
    for record in records:
        if record.kind == "raw":  # the cheap test first: most records are raw frames
            if _PROMPT in record.payload_json and record.actor not in prompted:
                text = _prompt_text(record.payload)
                if text is not None:
                    prompted[record.actor] = text
            continue
        payload = record.payload if record.kind in _KINDS else None
        if payload is None:
            continue
        if record.kind == "session.created":
            task = (payload.get("context") or {}).get("task")
        elif record.kind == "agent.started":
            roles.add(str(payload.get("role", "")))
            role_of[str(payload.get("agent_id", ""))] = str(payload.get("role", ""))
        elif record.kind == "handoff":
            roles.update((str(payload["from_role"]), str(payload["to_role"])))
            attempts = max(attempts, int(payload.get("attempt", 1)))
        elif record.kind == "validation.result":
            roles.add("validator")
            command = payload.get("command") or ["true"]
            checks.setdefault(str(payload["check"]), Check(name=payload["check"], command=command))
        elif payload.get("agent_id") == "reviewer" and str(payload.get("call_id")).startswith(
            "review-"
        ):
            roles.add("reviewer")
            human_review = True
    verbatim = {role_of.get(agent) for agent, text in prompted.items() if text == task}
    configs: dict[str, RoleConfig] = {}
    for role in ROLES:
        if role not in roles and role != "implementer":
            continue
        if role == "validator":
            config = RoleConfig(
                backend=Backend.COMMAND, checks=list(checks.values()) or [_PLACEHOLDER]
            )
        elif role == "reviewer" and human_review:
            config = RoleConfig(backend=Backend.HUMAN)
        else:
            prompt = "verbatim" if task is not None and role in verbatim else "role"
            config = RoleConfig(backend=Backend.ACP, command=RECORDED, prompt=prompt)
        configs[role] = config
    return Team.model_validate(
        {"name": name, "roles": configs, "workflow": Workflow(max_attempts=min(attempts, 20))}
    )


_KINDS = frozenset(
    {"session.created", "agent.started", "handoff", "validation.result", "approval.requested"}
)
_PROMPT = '"session/prompt"'


def _prompt_text(payload: dict[str, Any]) -> object:
    """The first text block of a ``session/prompt`` we sent, from its raw frame (None else)."""
    frame = payload.get("data")
    if payload.get("direction") != "out" or not isinstance(frame, dict):
        return None
    params = frame.get("params") if frame.get("method") == "session/prompt" else None
    blocks = params.get("prompt") if isinstance(params, dict) else None
    first = blocks[0] if isinstance(blocks, list) and blocks else None
    return first.get("text") if isinstance(first, dict) else None
