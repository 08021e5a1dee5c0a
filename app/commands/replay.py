"""``replay``: the console's replay screen, or (``--redrive``) a check that decisions still hold.

``--redrive`` re-runs the policy decision of every tool call the session recorded (the gate
recorded each exact request as ``tool.requested`` and its verdict as ``policy.decided``) under
``--policy`` or the effective policy, executes nothing, and lists every call decided
differently; exit 1 when any diverges.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import Engine

from agents.auth.canary import redecide
from app.commands.policy import EXIT_INVALID, load_or_report
from app.compose import effective_policy, open_database, protected_dirs
from sessions.reading import load_session, resolve_session
from sessions.record import Record

EXIT_DIVERGED = 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``replay`` to the CLI."""
    p = sub.add_parser("replay", help="replay a session (console), or --redrive its decisions")
    p.add_argument("session", help="session id or unique prefix")
    p.add_argument("--redrive", action="store_true",
                   help="re-decide every recorded tool call, run nothing; exit 1 on divergence")  # fmt: skip
    p.add_argument("--policy", type=Path, help="the policy to re-decide under (default: in force)")
    p.set_defaults(handler=cmd_replay)


def open_replay_screen(args: argparse.Namespace) -> int:
    """The console's replay screen of the session."""
    from app.commands.console import cmd_replay as replay_screen

    return replay_screen(args)


def _as_recorded(engine: Engine, records: list[Record]) -> list[Record]:
    """A fork's copied calls were decided in its origin's workspace: judge them there, as
    records of the origin (whose ``session.created`` goes first)."""
    origin = records[0].payload.get("origin") if records else None
    if not origin:
        return records
    source = load_session(engine, origin["session_id"], upto_seq=int(origin["seq"]))
    copies = len(source) - 1
    header = source[0]
    moved = [r._replace(session_id=header.session_id) for r in records[1 : 1 + copies]]
    return [header, *moved, records[0], *records[1 + copies :]]


def cmd_replay(args: argparse.Namespace) -> int:
    """Open the replay screen, or re-drive the session's policy decisions."""
    if not args.redrive:
        return open_replay_screen(args)
    if args.policy is not None:
        policy = load_or_report(args.policy)
        if policy is None:
            return EXIT_INVALID
    else:
        policy, _origin = effective_policy()
    engine = open_database(args.db)
    try:
        session_id = resolve_session(engine, args.session)
        records = _as_recorded(engine, load_session(engine, session_id))
    finally:
        engine.dispose()
    calls = diverged = 0
    for item in redecide(
        records, policy, current=policy, fallback_workspace=Path.cwd(), protected=protected_dirs()
    ):
        calls += 1
        if item.changed:
            diverged += 1
            subject = item.command or " ".join(item.paths) or item.tool
            print(
                f"{item.seq:>7} {item.agent_id:<14} {item.old} → {item.new}"
                f" ({item.new_rule or 'default'}): {subject}"
            )
    print(
        f"re-drove {calls} tool call(s) of session {session_id[:8]}: {diverged} diverged",
        file=sys.stderr,
    )
    return EXIT_DIVERGED if diverged else 0
