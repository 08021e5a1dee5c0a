"""``policy diff``: which recorded tool calls a candidate policy would decide differently.

The log is read once, in ``seq`` order and in chunks (``iter_log``), and handed to the pure
re-decision in ``agents.auth.canary``; only the calls that change are printed, then a summary.
Exit 1 when anything would become more permissive, so the command can gate a policy change in CI.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agents.auth.canary import UNKNOWN_ROLE, DiffSummary, Redecision, redecide
from agents.auth.compiled import LoadedPolicy
from agents.auth.issues import PolicyError
from app.commands.policy import EXIT_INVALID, load_or_report, write_json
from app.wiring.store import effective_policy, open_database, protected_dirs
from sessions.store.reading import iter_log, resolve_session
from sessions.store.record import Record

EXIT_LOOSER = 1
"""The exit status when some call would become more permissive."""


def register(policy_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``policy diff`` to the ``policy`` command."""
    p = policy_sub.add_parser(
        "diff",
        help="re-decide recorded tool calls under a new policy; exit 1 if any would be looser",
    )
    p.add_argument("new_policy", type=Path, metavar="NEW_POLICY", help="the candidate policy")
    p.add_argument(
        "--session",
        action="append",
        default=None,
        metavar="S",
        help="only this session (id or unique prefix); repeatable; default: every session",
    )
    p.add_argument(
        "--json", action="store_true", help="JSON Lines: one object per change, then a summary"
    )
    p.set_defaults(handler=cmd_diff)


def cmd_diff(args: argparse.Namespace) -> int:
    """List the calls whose decision would change; exit 1 if any would be more permissive."""
    candidate = load_or_report(args.new_policy)
    if candidate is None:
        return EXIT_INVALID
    current, origin = _current()
    engine = open_database(args.db)
    wanted = None
    if args.session:
        wanted = {resolve_session(engine, prefix) for prefix in args.session}
    here = Path.cwd()
    summary = DiffSummary()
    assumed: set[str] = set()
    calls = redecide(
        _records(iter_log(engine), wanted),
        candidate,
        current=current,
        fallback_workspace=here,
        protected=protected_dirs(),
    )
    for item in calls:
        summary.add(item)
        if not item.workspace_recorded and item.session_id not in assumed:
            assumed.add(item.session_id)
            print(
                f"note: session {item.session_id} records no workspace;"
                f" its calls are judged as if in {here}",
                file=sys.stderr,
            )
        if item.changed:
            if args.json:
                write_json(_change_json(item))
            else:
                print(_change_line(item))
    if args.json:
        write_json(_summary_json(summary, candidate, origin, current_valid=current is not None))
    else:
        for note in _notes(summary, origin):
            print(note)
        print(summary.line())
    return EXIT_LOOSER if summary.more_permissive else 0


def _current() -> tuple[LoadedPolicy | None, str]:
    """The policy in force (for calls with no recorded decision) and what it is, for the notes.

    An invalid file is None: it stands for deny-everything, which is what the gate does while
    the file is broken. Only calls the log has no decision for need it, so it is not an error.
    """
    try:
        return effective_policy()
    except PolicyError as error:
        return None, f"the policy file {error.source} is invalid, which denies every call"


def _records(records: Iterator[Record], wanted: set[str] | None) -> Iterator[Record]:
    if wanted is None:
        return records
    return (r for r in records if r.session_id in wanted)


def _direction(item: Redecision) -> str:
    return "more_permissive" if item.more_permissive else "stricter"


def _change_line(item: Redecision) -> str:
    star = "" if item.old_recorded else "*"
    rule = f"rule {item.new_rule}" if item.new_rule else "no rule"
    label = "LOOSER" if item.more_permissive else "STRICTER"
    return (
        f"{label:<8}  {item.session_id[:8]}  seq {item.seq:<7} {item.agent_id}/{item.role}"
        f"  {item.old.value}{star} → {item.new.value}  ({rule})  ←  {item.subject}"
    )


def _change_json(item: Redecision) -> dict[str, Any]:
    return {
        "type": "change",
        "session": item.session_id,
        "seq": item.seq,
        "call_id": item.call_id,
        "agent": item.agent_id,
        "role": item.role,
        "tool": item.tool,
        "command": item.command,
        "paths": list(item.paths),
        "workspace": item.workspace,
        "workspace_recorded": item.workspace_recorded,
        "old_decision": item.old.value,
        "old_rule": item.old_rule,
        "old_recorded": item.old_recorded,
        "new_decision": item.new.value,
        "new_rule": item.new_rule,
        "new_reason": item.new_reason,
        "direction": _direction(item),
    }


def _summary_json(
    summary: DiffSummary, candidate: LoadedPolicy, origin: str, *, current_valid: bool
) -> dict[str, Any]:
    return {
        "type": "summary",
        "redecided": summary.redecided,
        "changed": summary.changed,
        "more_permissive": summary.more_permissive,
        "stricter": summary.stricter,
        "not_recorded": summary.not_recorded,
        "unknown_role": summary.unknown_role,
        "new_policy": str(candidate.source),
        "new_policy_hash": candidate.sha256,
        "current_policy": origin,
        "current_policy_valid": current_valid,
    }


def _notes(summary: DiffSummary, origin: str) -> Iterator[str]:
    if summary.not_recorded:
        yield (
            f"* {_calls(summary.not_recorded)} had no recorded decision; the old decision shown"
            f" is the current policy's ({origin})"
        )
    if summary.unknown_role:
        yield (
            f"note: role '{UNKNOWN_ROLE}' was used for {_calls(summary.unknown_role)} whose agent"
            f" has no agent.started event in its session; a policy without"
            f" [roles.{UNKNOWN_ROLE}] denies every such call"
        )


def _calls(count: int) -> str:
    return "1 call" if count == 1 else f"{count} calls"
