"""``approvals``, ``approve``, ``deny``, ``grants``, ``revoke``: answering from any terminal.

Answers are written to the shared database as ``approval.resolved`` events; the console that
asked sees them through the approval projection. A request whose process died is *stale*:
nothing waits for it, so it can be denied (to clear it) but never approved.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import datetime

import orjson

from agents.approvals.broker import Outcome
from agents.auth.grants import GrantError, list_grants, revoke_grant
from agents.supervisor.actions import Supervisor, SupervisorError, liveness
from app.wiring.store import open_database, open_store, policy_file
from sessions.errors import QuarterdeckError
from sessions.store.approval_rows import find_approval, pending_approvals


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


def _answer(args: argparse.Namespace, outcome: Outcome) -> int:
    store = open_store(args.db, create=False)
    try:
        approval = find_approval(store.engine, args.approval)
        supervisor = Supervisor(store, policy_path=policy_file())
        try:
            done = asyncio.run(supervisor.answer(approval.approval_id, outcome, reason=args.reason))
        except SupervisorError as exc:
            raise ApprovalStateError(str(exc)) from exc
        except GrantError as exc:
            raise ApprovalStateError(f"not answered: {exc}") from exc
    finally:
        store.close()
    added = done.added_rule
    print(
        f"{done.approval_id} {outcome}"
        + (f"; added rule {added} to {policy_file()}" if added else "")
    )
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    """Approve once, or always with a narrowed standing rule."""
    return _answer(args, Outcome.APPROVED_ALWAYS if args.always else Outcome.APPROVED_ONCE)


def cmd_deny(args: argparse.Namespace) -> int:
    """Deny once, or never again with a narrowed standing deny rule."""
    return _answer(args, Outcome.DENIED_ALWAYS if args.never else Outcome.DENIED)


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
