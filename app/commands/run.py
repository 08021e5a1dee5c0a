"""``run`` and ``demo``: a team of agents on a task, headless, one line per event."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import orjson

from agents.approvals.on_ask import OnAsk
from agents.demo.workspace import DemoWorkspaceError, copy_demo_workspace
from agents.team import Team, TeamError, bundled_team, load_team
from app.paths import config_dir
from app.wiring.console_boot import Run
from sessions.readmodel.describe import describe
from sessions.schema.session import SessionState
from sessions.store.record import Record

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONFIG = 0, 1, 2, 3
EXIT_TERMINATED = 143  # 128 + SIGTERM, as shells report it

DEMO_TASKS = (
    ("Fix the failing moving_average test", "implementer.toml"),
    ("Fix it again, learning from a failed first attempt", "implementer_retry.toml"),
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``run`` and ``demo`` to the CLI."""
    p = sub.add_parser("run", help="run a team of agents on a task")
    p.add_argument("task", help="what the team should do")
    p.add_argument(
        "--team", type=Path, help="team file (default: config dir team.toml, else built-in)"
    )
    p.add_argument("--workspace", type=Path, default=Path.cwd(), help="where the agents work")
    p.add_argument(
        "--worktree",
        action="store_true",
        help="work in a new git worktree of the workspace's repository, on a branch"
        " quarterdeck/<id> (headless: kept at the end; see `quarterdeck worktrees`)",
    )
    _common(p)
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("demo", help="the offline demo: built-in agents fix a real bug")
    p.add_argument(
        "--workspace", type=Path, help="copy the sample project here (default: a new dir)"
    )
    _common(p)
    p.set_defaults(handler=cmd_demo)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--policy", type=Path, help="policy file (default: the effective policy)")
    p.add_argument("--headless", action="store_true", help="no console: print events")
    p.add_argument(
        "--on-ask",
        type=OnAsk,
        choices=list(OnAsk),
        default=OnAsk.WAIT,
        help="headless answer to 'ask': allow, deny, or wait for `quarterdeck approve`",
    )
    p.add_argument("--json", action="store_true", help="JSON Lines, one record per event")


def _team_for_run(path: Path | None) -> Team:
    if path is not None:
        return load_team(path)
    user = config_dir() / "team.toml"
    return load_team(user if user.exists() else bundled_team("team.toml"))


def cmd_run(args: argparse.Namespace) -> int:
    """Run one task (in the console, or headless); exit 0 on success, 1 on failure, 3 on
    config errors."""
    if not args.workspace.is_dir():
        print(f"quarterdeck: error: no workspace directory {args.workspace}", file=sys.stderr)
        return EXIT_USAGE
    try:
        team = _team_for_run(args.team)
    except TeamError as exc:
        print(f"quarterdeck: error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if not args.worktree:
        return _start(args, [Run(args.task, team, args.workspace)])
    from agents.worktrees.create import create_worktree
    from agents.worktrees.git import WorktreeError

    try:
        made = create_worktree(args.workspace)
    except WorktreeError as exc:
        print(f"quarterdeck: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"worktree: {made.path} on {made.branch} (from {made.base_branch})", file=sys.stderr)
    return _start(args, [Run(args.task, team, made.workspace, worktree=made)])


def cmd_demo(args: argparse.Namespace) -> int:
    """Copy the sample project and run the demo tasks at once, in the console or headless."""
    # Not under the data directory: Quarterdeck's own directories are protected from agents.
    root = args.workspace or Path(tempfile.mkdtemp(prefix="quarterdeck-demo-"))
    runs = []
    base = load_team(bundled_team("demo-team.toml"))
    for index, (task, playbook) in enumerate(DEMO_TASKS, start=1):
        workspace = root / f"task-{index}"
        if workspace.exists():
            print(f"quarterdeck: error: {workspace} already exists", file=sys.stderr)
            return EXIT_USAGE
        try:
            if not copy_demo_workspace(workspace) and index == 1:
                print(
                    "quarterdeck: git is not installed: the reviewer sees no diff", file=sys.stderr
                )
        except DemoWorkspaceError as exc:
            print(f"quarterdeck: error: {exc}", file=sys.stderr)
            return EXIT_FAILED
        roles = dict(base.roles)
        roles["implementer"] = roles["implementer"].model_copy(
            update={"playbook": f"{{demo}}/playbooks/{playbook}", "speed": 0.2}
        )
        runs.append(Run(task, base.model_copy(update={"roles": roles}), workspace))
    print(f"demo workspaces: {root}", file=sys.stderr)
    return _start(args, runs)


def _start(args: argparse.Namespace, runs: Sequence[Run]) -> int:
    if args.headless:
        return asyncio.run(_headless(args, runs))
    from app.commands.console import open_console

    return open_console(args.db, policy=args.policy, runs=runs, on_ask=args.on_ask)


async def _headless(args: argparse.Namespace, runs: Sequence[Run]) -> int:
    from app.commands.run_worktree import keep_worktree
    from app.wiring.runtime import build_runtime

    runtime, loaded = build_runtime(args.db, policy=args.policy)
    # SIGTERM as well as Ctrl-C ends in the finally below, so no agent process is orphaned.
    main = asyncio.current_task()
    loop = asyncio.get_running_loop()
    if main is not None:
        loop.add_signal_handler(signal.SIGTERM, main.cancel)
    try:
        if runtime.holder.current is None:
            for error in loaded.errors:
                print(f"quarterdeck: error: {error}", file=sys.stderr)
            return EXIT_CONFIG
        mine: set[str] = set()
        runtime.store.subscribe(lambda batch: print_records(batch, mine, as_json=args.json))
        runtime.answer_asks(args.on_ask)
        runtime.start_workers()
        for run in runs:
            start = runtime.orchestrator.start
            mine.add(start(run.task, run.team, run.workspace, worktree=run.worktree))
        try:
            outcomes = await asyncio.gather(*(runtime.orchestrator.wait(s) for s in list(mine)))
        except asyncio.CancelledError:
            print("quarterdeck: stopped; every agent was shut down", file=sys.stderr)
            return EXIT_TERMINATED
        kept = [await keep_worktree(runtime, r.worktree) for r in runs if r.worktree is not None]
    finally:
        await runtime.close()
        loop.remove_signal_handler(signal.SIGTERM)
    ok = all(state is SessionState.SUCCEEDED for state in outcomes) and all(kept)
    for session_id in mine:
        print(f"session {session_id}: {runtime.orchestrator.ending(session_id)}", file=sys.stderr)
    return EXIT_OK if ok else EXIT_FAILED


def print_records(batch: Sequence[Record], sessions: set[str], *, as_json: bool) -> None:
    """Print committed records of ``sessions``: one human line each, or JSON Lines."""
    out = sys.stdout
    for r in batch:
        if r.session_id not in sessions:
            continue
        if as_json:
            out.write(orjson.dumps(r.to_dict()).decode() + "\n")
        elif r.kind != "raw":
            out.write(
                f"{r.ts[11:23]} {r.session_id[:8]} {r.actor:<14} {r.kind:<22} {describe(r)}\n"
            )
    out.flush()
