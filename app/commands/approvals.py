"""``approvals``, ``approve``, ``deny``, ``grants``, ``revoke``: answering from any terminal.

Answers are written to the shared database as ``approval.resolved`` events; the console that
asked sees them through the approval projection. A request whose process died is *stale*:
nothing waits for it, so it can be denied (to clear it) but never approved.
"""

from __future__ import annotations

import argparse
import getpass
import os
import socket
import sys
import time
from datetime import datetime
from pathlib import Path

import orjson

from agents.auth.grants import GrantError, add_grant, list_grants, narrowed_rule, revoke_grant
from agents.auth.requests import Decision, ToolKind, ToolRequest
from app.compose import open_database, open_store, policy_file
from sessions.approvals import ApprovalView, find_approval, pending_approvals
from sessions.errors import QuarterdeckError
from sessions.reading import list_sessions
from sessions.schema.policy import ApprovalResolved


class ApprovalStateError(QuarterdeckError):
    """The approval cannot be answered that way (already answered, or stale)."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the approval commands to the CLI."""
    p = sub.add_parser("approvals", help="list tool calls waiting for a human")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(handler=cmd_approvals)

    p = sub.add_parser("approve", help="approve a pending tool call")
    p.add_argument("approval", help="approval id or a unique prefix")
    p.add_argument("--always", action="store_true", help="also add a narrowed standing rule")
    p.add_argument("--reason", default="", help="why (recorded)")
    p.set_defaults(handler=cmd_approve)

    p = sub.add_parser("deny", help="deny a pending tool call")
    p.add_argument("approval", help="approval id or a unique prefix")
    p.add_argument("--never", action="store_true", help="also add a narrowed standing deny rule")
    p.add_argument("--reason", default="", help="why (recorded, shown to the agent)")
    p.set_defaults(handler=cmd_deny)

    p = sub.add_parser(
        "grants", help="list standing grants added by approve --always / deny --never"
    )
    p.add_argument("--session", help="only grants made in this session")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(handler=cmd_grants)

    p = sub.add_parser("revoke", help="remove a standing grant from the policy file")
    p.add_argument("rule", help="the grant's rule id (grant-…)")
    p.set_defaults(handler=cmd_revoke)


def liveness(owner: str | None) -> str:
    """``waiting`` when the asking process is alive, ``stale`` when it is gone, ``elsewhere``
    when it runs on another host (we cannot tell)."""
    if not owner or ":" not in owner:
        return "stale"
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname():
        return "elsewhere"
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return "stale"
    except (PermissionError, ValueError):
        return "waiting"
    return "waiting"


def _age(ts: str) -> str:
    seconds = time.time() - datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
    if seconds < 120:
        return f"{seconds:.0f}s"
    return f"{seconds / 60:.0f}m" if seconds < 7200 else f"{seconds / 3600:.0f}h"


def cmd_approvals(args: argparse.Namespace) -> int:
    """List pending approvals, oldest first, with whether anything still waits for them."""
    engine = open_database(args.db)
    for a in pending_approvals(engine):
        status = liveness(a.owner)
        if args.json:
            line = {
                "id": a.approval_id,
                "session": a.session_id,
                "agent": a.agent_id,
                "role": a.role,
                "tool": a.tool,
                "summary": a.summary,
                "requested": a.requested_ts,
                "status": status,
                "stale": status == "stale",
                **a.request,
            }
            sys.stdout.write(orjson.dumps(line).decode() + "\n")
        else:
            risk = a.request.get("risk", "medium")
            sys.stdout.write(
                f"{a.approval_id}  {status:<9} {_age(a.requested_ts):>4}  {risk:<6}"
                f" {a.role}/{a.agent_id}  {a.tool}: {a.summary}\n"
            )
    return 0


def _pending(args: argparse.Namespace) -> ApprovalView:
    engine = open_database(args.db)
    approval = find_approval(engine, args.approval)
    if not approval.pending:
        who = f" by {approval.decided_by}" if approval.decided_by else ""
        raise ApprovalStateError(
            f"approval {approval.approval_id} was already answered: {approval.state}{who}"
        )
    return approval


def _tool_request(args: argparse.Namespace, approval: ApprovalView) -> ToolRequest:
    engine = open_database(args.db)
    workspace = next(
        (s.workspace for s in list_sessions(engine) if s.session_id == approval.session_id), None
    )
    req = approval.request
    cwd = req.get("cwd")
    return ToolRequest(
        ToolKind(approval.tool),
        approval.role,
        Path(workspace or cwd or os.getcwd()),
        command=req.get("command"),
        paths=tuple(req.get("paths", ())),
        cwd=Path(cwd) if cwd else None,
    )


def _answer(args: argparse.Namespace, outcome: str, standing: Decision | None) -> int:
    approval = _pending(args)
    if outcome.startswith("approved") and liveness(approval.owner) == "stale":
        raise ApprovalStateError(
            f"approval {approval.approval_id} is stale: the process that asked ({approval.owner})"
            " is gone, so nothing would run. Deny it to clear it from the queue."
        )
    user = getpass.getuser()
    added = None
    if standing is not None:
        request = _tool_request(args, approval)
        added = f"grant-{approval.approval_id}"
        try:
            rule = narrowed_rule(request, standing, rule_id=added)
            add_grant(
                policy_file(),
                rule,
                rule_id=added,
                session_id=approval.session_id,
                role=approval.role,
                subject=approval.summary,
                request=request,
            )
        except GrantError as exc:
            raise ApprovalStateError(f"not answered: {exc}") from exc
    store = open_store(args.db, create=False)
    try:
        store.append_sync(
            approval.session_id,
            f"human:{user}",
            ApprovalResolved(
                approval_id=approval.approval_id,
                outcome=outcome,
                decided_by=user,
                reason=args.reason,
                added_rule=added,
            ),
        )
    finally:
        store.close()
    print(
        f"{approval.approval_id} {outcome}"
        + (f"; added rule {added} to {policy_file()}" if added else "")
    )
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    """Approve once, or always with a narrowed standing rule."""
    if args.always:
        return _answer(args, "approved_always", Decision.ALLOW)
    return _answer(args, "approved_once", None)


def cmd_deny(args: argparse.Namespace) -> int:
    """Deny once, or never again with a narrowed standing deny rule."""
    if args.never:
        return _answer(args, "denied_always", Decision.DENY)
    return _answer(args, "denied", None)


def cmd_grants(args: argparse.Namespace) -> int:
    """List the standing grants in the user's policy file."""
    for g in list_grants(policy_file()):
        if args.session and not g.session_id.startswith(args.session):
            continue
        if args.json:
            line = {
                "rule": g.rule_id,
                "decision": g.decision.value,
                "session": g.session_id,
                "role": g.role,
                "subject": g.subject,
                "created": g.created,
            }
            sys.stdout.write(orjson.dumps(line).decode() + "\n")
        else:
            sys.stdout.write(
                f"{g.rule_id}  {g.decision.value:<5} {g.role:<12} {g.created}  {g.subject}\n"
            )
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    """Remove one grant; the console's watcher reloads the policy."""
    try:
        revoke_grant(policy_file(), args.rule)
    except GrantError as exc:
        raise ApprovalStateError(str(exc)) from exc
    print(f"revoked {args.rule}")
    return 0
