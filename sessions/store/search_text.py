"""What the search index holds of each record: the text a user would search for, per kind.

Only kinds listed in :data:`EXTRACTORS` are indexed; the rest (state changes, tool output,
thoughts, plans, raw ACP frames) are either not something a person looks for or would bury what
they do look for under megabytes of test logs. The payloads are the stored ones, so the text is
redacted already (the store redacts before it serializes). Fields are read defensively: an
index must never fail a batch of the log because a payload lacks a field it expected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

SEPARATOR = " · "
"""Between the fields of one record: punctuation to the tokenizer, readable in a snippet."""

OUTPUT_TAIL = 1000
"""Characters of a validation's output indexed: its end, where failures are reported."""

CONTENT_LIMIT = 4000
"""Characters of a handoff's content indexed (its string values)."""

MESSAGE_KIND = "agent.message"
"""Streamed in chunks: coalesced into one row per message (``sessions/store/search_index.py``)."""


def _s(payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _strings(value: Any, out: list[str]) -> None:
    """Every string inside a JSON value, depth first."""
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, list):
        for item in value:
            _strings(item, out)
    elif isinstance(value, dict):
        for item in value.values():
            _strings(item, out)


def _join(*parts: str) -> str:
    return SEPARATOR.join(part for part in parts if part)


def _paths(payload: Mapping[str, Any]) -> str:
    paths = payload.get("paths")
    if not isinstance(paths, list):
        return ""
    return " ".join(p for p in paths if isinstance(p, str))


def _session_created(p: Mapping[str, Any]) -> str:
    context = p.get("context")
    found: list[str] = []
    if isinstance(context, dict):  # the task first, then constraints, criteria, plan
        found.append(_s(context, "task"))
        _strings({k: v for k, v in context.items() if k != "task"}, found)
    return _join(_s(p, "title"), " ".join(found), _s(p, "workspace"), _s(p, "team"))


def _tool_requested(p: Mapping[str, Any]) -> str:
    return _join(_s(p, "title"), _s(p, "command"), _paths(p), _s(p, "cwd"), _s(p, "tool"))


def _tool_intent(p: Mapping[str, Any]) -> str:
    argv = p.get("argv")
    command = " ".join(a for a in argv if isinstance(a, str)) if isinstance(argv, list) else ""
    return _join(_s(p, "action"), command, _s(p, "path"), _s(p, "cwd"))


def _policy_decided(p: Mapping[str, Any]) -> str:
    return _join(_s(p, "decision"), _s(p, "rule_id"), _s(p, "reason"), _s(p, "decided_by"))


def _approval_requested(p: Mapping[str, Any]) -> str:
    return _join(
        "approval", _s(p, "summary"), _s(p, "command"), _paths(p), _s(p, "rule_id"), _s(p, "reason")
    )


def _approval_resolved(p: Mapping[str, Any]) -> str:
    return _join(_s(p, "outcome"), _s(p, "decided_by"), _s(p, "reason"), _s(p, "added_rule"))


def _handoff(p: Mapping[str, Any]) -> str:
    found: list[str] = []
    _strings(p.get("content"), found)
    content = " ".join(found)[:CONTENT_LIMIT]
    route = f"{_s(p, 'from_role')} → {_s(p, 'to_role')}"
    return _join("handoff", route, _s(p, "reason"), content)


def _validation(p: Mapping[str, Any]) -> str:
    argv = p.get("command")
    command = " ".join(a for a in argv if isinstance(a, str)) if isinstance(argv, list) else ""
    verdict = "passed" if p.get("passed") is True else "failed"
    output = _s(p, "output")[-OUTPUT_TAIL:]
    return _join(_s(p, "check"), verdict, command, output)


def _escalation(p: Mapping[str, Any]) -> str:
    return _join("escalation", _s(p, "severity"), _s(p, "reason"), _s(p, "rule_id"))


def _finished(p: Mapping[str, Any]) -> str:
    return _join("finished", _s(p, "outcome"), _s(p, "summary"))


def _human_message(p: Mapping[str, Any]) -> str:
    return _join("message", _s(p, "by"), _s(p, "agent_id"), _s(p, "text"))


def _review(p: Mapping[str, Any]) -> str:
    comments = p.get("comments")
    said = [
        _join(_s(c, "path"), _s(c, "text"))
        for c in (comments if isinstance(comments, list) else [])
        if isinstance(c, dict)
    ]
    return _join("review", _s(p, "by"), _s(p, "summary"), *said)


def _agent_failed(p: Mapping[str, Any]) -> str:
    return _join("agent failed", _s(p, "error"))


EXTRACTORS: Mapping[str, Callable[[Mapping[str, Any]], str]] = {
    "session.created": _session_created,
    "tool.requested": _tool_requested,
    "tool.intent": _tool_intent,
    "policy.decided": _policy_decided,
    "approval.requested": _approval_requested,
    "approval.resolved": _approval_resolved,
    "handoff": _handoff,
    "validation.result": _validation,
    "escalation.raised": _escalation,
    "session.finished": _finished,
    "agent.failed": _agent_failed,
    "human.message": _human_message,
    "review.comments": _review,
    "review.accepted": _review,
}
"""Kind → the searchable text of its payload (messages are handled apart: they coalesce)."""

INDEXED_KINDS = frozenset(EXTRACTORS) | {MESSAGE_KIND}
"""Every kind with rows in the index."""


def text_of(kind: str, payload: Any) -> str:
    """The searchable text of one record ('' when there is none)."""
    if not isinstance(payload, dict):
        return ""
    if kind == MESSAGE_KIND:
        return _s(payload, "text")
    extract = EXTRACTORS.get(kind)
    return extract(payload) if extract is not None else ""


def group_of(payload: Any) -> str | None:
    """The tool call a record belongs to (its ``call_id``): the request, decision, intent,
    approval and escalation of one call are one search result, not five."""
    if isinstance(payload, dict):
        call = payload.get("call_id")
        if isinstance(call, str) and call:
            return call
    return None
