"""``resume`` and ``cancel``: continue a session whose process died, or stop one for good.

Both go by the session's lease (``sessions/store/leases.py``): a session a live process runs is never
resumed here, and is cancelled by asking that process to stop, since only the process driving a
session writes its state.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import signal
import sys
from pathlib import Path

from agents.approvals.on_ask import OnAsk
from agents.orchestrator.progress import Progress, describe_progress, fold_progress
from agents.orchestrator.recovery import LeaseKeeper, record_recovery
from agents.orchestrator.transitions import check_transition
from agents.team import Team, TeamError, bundled_team, load_team
from app.commands.run import (
    DEMO_TASKS,
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    print_records,
)
from app.paths import config_dir
from app.wiring.runtime import build_runtime
from app.wiring.store import open_database, open_store
from sessions.schema.session import SessionFinished, SessionState, SessionStateChanged
from sessions.store import leases
from sessions.store.memory import SessionMemory
from sessions.store.reading import load_session, resolve_session

CANCELLED_BY_USER = "cancelled by `quarterdeck cancel`"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``resume`` and ``cancel`` to the CLI."""
    p = sub.add_parser("resume", help="continue a session whose process died (headless)")
    p.add_argument("session", help="session id or unique prefix")
    p.add_argument("--team", type=Path, help="the team file, when the session's team is not found")
    p.add_argument("--policy", type=Path, help="policy file (default: the effective policy)")
    p.add_argument("--headless", action="store_true", help="accepted for symmetry with run")
    p.add_argument(
        "--on-ask",
        type=OnAsk,
        choices=list(OnAsk),
        default=OnAsk.WAIT,
        help="headless answer to 'ask': allow, deny, or wait for `quarterdeck approve`",
    )
    p.add_argument("--json", action="store_true", help="JSON Lines, one record per event")
    p.set_defaults(handler=cmd_resume)

    p = sub.add_parser("cancel", help="cancel a session, running here or in another process")
    p.add_argument("session", help="session id or unique prefix")
    p.set_defaults(handler=cmd_cancel)


def _error(message: str, code: int) -> int:
    print(f"quarterdeck: error: {message}", file=sys.stderr)
    return code


def session_progress(db: str, prefix: str) -> Progress:
    """Where the session ``prefix`` names stands, folded from its log."""
    engine = open_database(db)
    try:
        session_id = resolve_session(engine, prefix)
        return fold_progress(session_id, load_session(engine, session_id))
    finally:
        engine.dispose()


def live_holder(db: str, session_id: str) -> leases.Lease | None:
    """The session's lease if a live process holds it, else None."""
    engine = open_database(db)
    try:
        lease = leases.holder(engine, session_id)
    finally:
        engine.dispose()
    return lease if lease is not None and lease.live() else None


def team_for(progress: Progress, path: Path | None) -> Team | None:
    """The session's team: ``path`` if given, else the known team file of the recorded name
    (the config dir's ``team.toml``, the built-in default, the demo team); None if unknown."""
    if path is not None:
        return load_team(path)
    user = config_dir() / "team.toml"
    files = [user] if user.exists() else []
    for file in [*files, bundled_team("team.toml"), bundled_team("demo-team.toml")]:
        team = load_team(file)
        if team.name == progress.team:
            return _demo_variant(team, progress.title)
    return None


def _demo_variant(team: Team, title: str) -> Team:
    # `quarterdeck demo` gives each task its own implementer playbook; resume plays the same one.
    playbook = next((p for task, p in DEMO_TASKS if task[:80] == title), None)
    if team.name != "demo" or playbook is None:
        return team
    roles = dict(team.roles)
    roles["implementer"] = roles["implementer"].model_copy(
        update={"playbook": f"{{demo}}/playbooks/{playbook}", "speed": 0.2}
    )
    return team.model_copy(update={"roles": roles})


def cmd_resume(args: argparse.Namespace) -> int:
    """Continue a crashed session headless; exit codes as ``run``."""
    progress = session_progress(args.db, args.session)
    short = progress.session_id[:8]
    if progress.finished:
        return _error(f"session {short} already finished ({progress.state}); nothing to resume", 1)
    if progress.context is None:
        return _error(f"session {short} was not started by `run`: it has no task to resume", 1)
    holder = live_holder(args.db, progress.session_id)
    if holder is not None:
        return _error(str(leases.LeaseHeldError(holder)), EXIT_FAILED)
    workspace = Path(progress.workspace or "")
    if not progress.workspace or not workspace.is_dir():
        return _error(f"session {short}: its workspace {workspace} no longer exists", EXIT_USAGE)
    try:
        team = team_for(progress, args.team)
    except TeamError as exc:
        return _error(str(exc), EXIT_CONFIG)
    if team is None:
        return _error(
            f"session {short} ran team {progress.team!r}, which is not the configured, default"
            " or demo team: give its file with --team FILE",
            EXIT_USAGE,
        )
    print(f"resuming session {short}: {describe_progress(progress)}", file=sys.stderr)
    return asyncio.run(_resume(args, progress, team, path=workspace))


async def _resume(args: argparse.Namespace, progress: Progress, team: Team, *, path: Path) -> int:
    runtime, loaded = build_runtime(args.db, policy=args.policy)
    main, loop = asyncio.current_task(), asyncio.get_running_loop()
    if main is not None:  # SIGTERM ends in the finally below: no agent process is orphaned
        loop.add_signal_handler(signal.SIGTERM, main.cancel)
    session_id = progress.session_id
    try:
        if runtime.holder.current is None:
            for error in loaded.errors:
                print(f"quarterdeck: error: {error}", file=sys.stderr)
            return EXIT_CONFIG
        runtime.store.subscribe(lambda batch: print_records(batch, {session_id}, as_json=args.json))
        runtime.answer_asks(args.on_ask)
        runtime.start_workers()
        runtime.orchestrator.recover(progress, team, path)
        try:
            state = await runtime.orchestrator.wait(session_id)
        except asyncio.CancelledError:
            print("quarterdeck: stopped; every agent was shut down", file=sys.stderr)
            return EXIT_TERMINATED
    finally:
        await runtime.close()
        loop.remove_signal_handler(signal.SIGTERM)
    print(f"session {session_id}: {runtime.orchestrator.ending(session_id)}", file=sys.stderr)
    return EXIT_OK if state is SessionState.SUCCEEDED else EXIT_FAILED


def cmd_cancel(args: argparse.Namespace) -> int:
    """Cancel a session: ask its live process to stop, or record the cancellation here."""
    progress = session_progress(args.db, args.session)
    short = progress.session_id[:8]
    if progress.finished:
        return _error(f"session {short} already finished ({progress.state})", EXIT_FAILED)
    holder = live_holder(args.db, progress.session_id)
    if holder is not None:
        engine = open_database(args.db)
        try:
            asked = leases.request_cancel(engine, progress.session_id)
        finally:
            engine.dispose()
        if asked is not None and asked.live():
            print(f"asked {asked.owner} to cancel session {short}", file=sys.stderr)
            return EXIT_OK
    return asyncio.run(_cancel_here(args.db, progress.session_id))


async def _cancel_here(db: str, session_id: str) -> int:
    # Nobody runs it: take the lease for our own writes, so a resume cannot start meanwhile.
    store = open_store(db, create=False)
    keeper = LeaseKeeper(store, session_id)
    try:
        await keeper.acquire()
        # Read again under the lease: the log may have moved since the caller looked.
        progress = fold_progress(session_id, load_session(store.engine, session_id))
        if progress.finished:
            return _error(f"session {session_id[:8]} already finished ({progress.state})", 1)
        state = await record_recovery(store, progress)
        check_transition(state, SessionState.CANCELLED)
        change = SessionStateChanged(
            from_state=state, to_state=SessionState.CANCELLED, reason=CANCELLED_BY_USER
        )
        actor = f"human:{getpass.getuser()}"
        await store.append_durable(session_id, actor, change)
        await SessionMemory(store, session_id, actor=actor).close("cancelled")
        finished = SessionFinished(outcome=SessionState.CANCELLED, summary=CANCELLED_BY_USER)
        await store.append_durable(session_id, actor, finished)
    finally:
        await keeper.close()
        store.close()
    print(f"session {session_id[:8]} cancelled", file=sys.stderr)
    return EXIT_OK
