"""One human line per record, for ``quarterdeck show`` and the console's timeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sessions.store.record import Record

_MAX = 120


def _clip(text: str, limit: int = _MAX) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _tool(p: dict[str, Any]) -> str:
    subject = p.get("command") or " ".join(p.get("paths", [])) or p.get("title", "")
    return f"{p['tool']} {subject}".strip()


def _usage(p: dict[str, Any]) -> str:
    parts = []
    if p.get("used") is not None or p.get("size") is not None:
        parts.append(f"context {p.get('used', '?')}/{p.get('size', '?')}")
    if p.get("cost") is not None:
        parts.append(f"{p['cost']:g} {p.get('currency') or '?'} so far")
    return f"{p['agent_id']} " + (", ".join(parts) or "reported no usage")


def _sandbox(info: dict[str, Any] | None) -> str:
    if not info:
        return ""
    if info.get("kind") == "none":
        return ", NO sandbox" + (f": {info['reason']}" if info.get("reason") else "")
    return ", sandbox bwrap" + (", network off" if info.get("network") == "off" else "")


_DESCRIBERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "session.created": lambda p: (
        f"created {p['title']!r}" + (f" in {p['workspace']}" if p.get("workspace") else "")
    ),
    "session.state_changed": lambda p: (
        f"{p['from_state']} → {p['to_state']}" + (f" ({p['reason']})" if p.get("reason") else "")
    ),
    "session.finished": lambda p: (
        f"finished: {p['outcome']}" + (f" — {p['summary']}" if p.get("summary") else "")
    ),
    "agent.started": lambda p: (
        f"{p['agent_id']} started as {p['role']} ({p['backend']}{_sandbox(p.get('sandbox'))})"
    ),
    "agent.message": lambda p: f"{p['agent_id']}: {p['text']}",
    "agent.thought": lambda p: f"{p['agent_id']} thinks: {p['text']}",
    "agent.plan": lambda p: (
        f"{p['agent_id']} plan: " + "; ".join(e["content"] for e in p["entries"])
    ),
    "agent.usage": _usage,
    "budget.reached": lambda p: (
        f"BUDGET REACHED: {p['spent']:g} of {p['limit']:g} {p['currency']}; waiting for a person"
    ),
    "budget.raised": lambda p: (
        f"budget raised to {p['limit']:g} {p['currency']}"
        + (f" by {p['by']}" if p.get("by") else "")
    ),
    "agent.stopped": lambda p: f"{p['agent_id']} stopped ({p.get('stop_reason', 'end_turn')})",
    "agent.controlled": lambda p: (
        f"{p['agent_id']} {p['action']}d" + (f" by {p['by']}" if p.get("by") else "")
    ),
    "human.message": lambda p: f"{p['by']} → {p['agent_id']}: {p['text']}",
    "human.message_delivered": lambda p: (
        f"message {p['message_id'][:8]} delivered to {p['agent_id']}"
        + (" after its turn" if p["how"] == "after_turn" else " with its next prompt")
    ),
    "human.message_dropped": lambda p: (
        f"message {p['message_id'][:8]} to {p['agent_id']} NOT delivered: {p['reason']}"
    ),
    "agent.failed": lambda p: (
        f"{p['agent_id']} NEEDS LOGIN: {p['error']}"
        if p.get("login_required")
        else f"{p['agent_id']} FAILED: {p['error']}"
    ),
    "agent.history_replayed": lambda p: (
        f"{p['agent_id']} reloaded its session {p['acp_session_id']}"
        f" ({len(p.get('frames') or [])} earlier update(s) replayed, not new work)"
    ),
    "tool.requested": lambda p: f"{p['agent_id']} wants {_tool(p)}",
    "tool.intent": lambda p: (
        f"about to {p['action']} " + (" ".join(p.get("argv") or []) or p.get("path") or "")
    ),
    "tool.output": lambda p: (
        f"{p['call_id']} | {p['text']}" + (" [output capped]" if p.get("truncated") else "")
    ),
    "tool.result": lambda p: (
        f"{p['call_id']} {p['status']}"
        + (f" (exit {p['exit_code']})" if p.get("exit_code") is not None else "")
    ),
    "policy.decided": lambda p: (
        f"{p['decision'].upper()} {p['call_id']}"
        + f" by {p.get('rule_id') or p['source']}"
        + (f" ({p['decided_by']})" if p.get("decided_by") else "")
        + (f" riding on {p['rides_on']}" if p.get("rides_on") else "")
        + (f" (approval {p['approval_id']})" if p.get("approval_id") else "")
    ),
    "approval.requested": lambda p: f"approval {p['approval_id']} asked: {p['summary']}",
    "approval.resolved": lambda p: (
        f"approval {p['approval_id']} {p['outcome']}"
        + (f" by {p['decided_by']}" if p.get("decided_by") else "")
    ),
    "handoff": lambda p: (
        f"handoff {p['from_role']} → {p['to_role']}"
        + (f": {p['reason']}" if p.get("reason") else "")
    ),
    "validation.result": lambda p: f"check {p['check']} {'passed' if p['passed'] else 'FAILED'}",
    "checkpoint": lambda p: (
        f"checkpoint {p['checkpoint_id'][:12]} at seq {p['at_seq']}"
        + (" (known good)" if p.get("known_good") else "")
    ),
    "rollback": lambda p: f"rolled back to seq {p['to_seq']}",
    "review.comments": lambda p: (
        f"{p['by']} requested changes ({len(p.get('comments') or [])} comment(s))"
        + (f" → follow-up {p['follow_up_session_id'][:8]}" if p.get("follow_up_session_id") else "")
        + (f": {p['summary']}" if p.get("summary") else "")
    ),
    "review.accepted": lambda p: (
        f"{p['by']} accepted the changes" + (f": {p['summary']}" if p.get("summary") else "")
    ),
    "policy.reloaded": lambda p: f"policy reloaded ({p['rules']} rules, {p['policy_hash'][:12]})",
    "policy.rejected": lambda p: "policy REJECTED: " + "; ".join(p["errors"]),
    "retry.scheduled": lambda p: f"retry {p['operation']} #{p['attempt']} in {p['delay_s']}s",
    "workspace.drift": lambda p: (
        f"DRIFT {p['agent_id']} turn {p['turn']}: {p['total']} file(s) no allowed action explains: "
        + ", ".join(f"{f['path']} ({f['status']})" for f in p["files"])
    ),
    "escalation.raised": lambda p: f"ESCALATION ({p.get('severity', 'warning')}): {p['reason']}",
    "memory.set": lambda p: f"memory {p['key']} set ({p['size_bytes']} bytes)",
    "memory.purged": lambda p: f"memory purged: {', '.join(p['keys']) or 'nothing'}",
    "raw": lambda p: f"raw {p.get('method') or ''} from {p['source']}".replace("  ", " "),
    "worktree.created": lambda p: (
        f"worktree {p['path']} on {p['branch']}, from {p['base_branch']} at {p['base_commit'][:12]}"
    ),
    "worktree.kept": lambda p: (
        f"worktree kept: {p['branch']}"
        + (f" at {p['commit'][:12]}" if p.get("commit") else ", nothing new to commit")
    ),
    "worktree.merged": lambda p: (
        f"{p['branch']} merged into {p['into']} ({p['head'][:12]}"
        + (", fast-forward)" if p.get("fast_forward") else ")")
        + ("" if p.get("removed", True) else "; the worktree is left")
    ),
    "worktree.discarded": lambda p: (
        f"worktree and {p['branch']} discarded (was {p['head'][:12]})"
        + (" by prune" if p.get("pruned") else "")
        + (", forced" if p.get("forced") else "")
    ),
    "worktree.refused": lambda p: f"worktree {p['choice']} REFUSED: {p['reason']}",
}


def describe(record: Record) -> str:
    """A one-line summary of what the record says; never raises."""
    describer = _DESCRIBERS.get(record.kind)
    if describer is None:
        return _clip(record.payload_json)
    try:
        return _clip(describer(record.payload))
    except (KeyError, TypeError, AttributeError):
        return _clip(record.payload_json)
