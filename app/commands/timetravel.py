"""``rollback`` and ``fork``: go back to a checkpoint of a session, or branch a new session off one.

Both refuse a session a live process is running (its lease), except that a *paused* session may
be rolled back: its process waits between steps and touches no file meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

from agents.checkpoints.fork import fork_session
from agents.checkpoints.rollback import RollbackPlan
from agents.checkpoints.timetravel import Target, roll_back
from agents.orchestrator.recovery import LeaseKeeper
from app.commands.recover import live_holder, session_progress
from app.commands.run import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from app.paths import checkpoints_dir
from app.wiring.store import open_store
from sessions.schema.session import SessionState
from sessions.store import leases


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``rollback`` and ``fork`` to the CLI."""
    p = sub.add_parser("rollback", help="restore a session's workspace to one of its checkpoints")
    p.add_argument("session", help="session id or unique prefix")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--to", type=int, metavar="SEQ", help="the last checkpoint at or before SEQ")
    where.add_argument("--last-good", action="store_true", help="the last validator pass")
    where.add_argument("--to-checkpoint", metavar="ID", help="a checkpoint id (or unique prefix)")
    where.add_argument("--undo", action="store_true", help="undo the session's last rollback")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--dry-run", action="store_true", help="list what would change; change nothing")
    p.set_defaults(handler=cmd_rollback)

    p = sub.add_parser("fork", help="a new session from a session's log and checkpoint at SEQ")
    p.add_argument("session", help="session id or unique prefix")
    p.add_argument("--at", type=int, required=True, metavar="SEQ", help="copy the log up to SEQ")
    p.add_argument(
        "--workspace", type=Path, help="where to put the files (default: beside the old)"
    )
    p.set_defaults(handler=cmd_fork)


def _error(message: str, code: int) -> int:
    print(f"quarterdeck: error: {message}", file=sys.stderr)
    return code


def cmd_rollback(args: argparse.Namespace) -> int:
    """Roll back (or, with --dry-run, list what would change); exit 0 done, 1 refused/failed."""
    progress = session_progress(args.db, args.session)
    holder = live_holder(args.db, progress.session_id)
    if holder is not None and progress.state is not SessionState.PAUSED:
        return _error(f"{leases.LeaseHeldError(holder)}, or pause it", EXIT_FAILED)
    target = Target(
        to_seq=args.to, last_good=args.last_good, checkpoint=args.to_checkpoint, undo=args.undo
    )
    return asyncio.run(_rollback(args, progress.session_id, target, leased=holder is not None))


def _confirm(args: argparse.Namespace, refused: list[str]) -> object:
    def confirm(plan: RollbackPlan) -> bool:
        _show(plan)
        if args.yes:
            return True
        if not sys.stdin.isatty():
            refused.append("not confirmed: add --yes to roll back without a terminal")
            return False
        answer = input(f"roll back {plan.files_restored} file(s)? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            refused.append("not rolled back")
            return False
        return True

    return confirm


def _show(plan: RollbackPlan) -> None:
    target = plan.target
    good = ", known good" if target.known_good else ""
    print(f"checkpoint {target.checkpoint_id[:12]} at seq {target.at_seq}{good}: {target.label}")
    for line in plan.lines() or ["(no file differs)"]:
        print(f"  {line}")


async def _rollback(
    args: argparse.Namespace, session_id: str, target: Target, *, leased: bool
) -> int:
    store = open_store(args.db, create=False)
    # Nobody runs it: hold its lease meanwhile, so a resume cannot start under our feet.
    keeper = None if leased or args.dry_run else LeaseKeeper(store, session_id)
    refused: list[str] = []
    try:
        if keeper is not None:
            await keeper.acquire()
        done = await roll_back(
            store,
            checkpoints_dir(),
            session_id,
            target=target,
            dry_run=args.dry_run,
            confirm=_confirm(args, refused),  # type: ignore[arg-type]
            actor=f"human:{getpass.getuser()}",
        )
    finally:
        if keeper is not None:
            await keeper.close()
        store.close()
    if args.dry_run:
        _show(done.plan)
        print("dry run: nothing changed", file=sys.stderr)
        return EXIT_OK
    if done.safety_id is None:
        return _error(refused[0] if refused else "not rolled back", EXIT_USAGE)
    print(
        f"rolled back {done.plan.files_restored} file(s) of session {session_id[:8]};"
        f" undo with: quarterdeck rollback {session_id[:8]} --to-checkpoint {done.safety_id[:12]}",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_fork(args: argparse.Namespace) -> int:
    """Fork a session; prints the new session's id."""
    progress = session_progress(args.db, args.session)
    return asyncio.run(_fork(args, progress.session_id))


async def _fork(args: argparse.Namespace, session_id: str) -> int:
    store = open_store(args.db, create=False)
    try:
        forked = await fork_session(
            store, checkpoints_dir(), session_id, at_seq=args.at, workspace=args.workspace
        )
    finally:
        store.close()
    print(forked.session_id)
    print(
        f"forked session {session_id[:8]} at seq {args.at}: {forked.events} event(s),"
        f" {forked.files} file(s) from checkpoint {forked.checkpoint_id[:12]} in {forked.workspace};"
        f" continue with: quarterdeck resume {forked.session_id[:8]}",
        file=sys.stderr,
    )
    return EXIT_OK
