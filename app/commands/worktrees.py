"""``worktrees``: the git worktrees sessions worked in — list them, end one, prune the empty.

``quarterdeck worktrees`` lists them; ``merge``, ``keep`` and ``discard`` do what the console's
worktree modal does for one session; ``prune`` removes those nothing is left in. A refusal is
one line on stderr (exit 1) and a ``worktree.refused`` event; nothing is changed.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import orjson

from agents.worktrees.finish import Finisher
from agents.worktrees.listing import Pruned, WorktreeStatus, list_worktrees, prune
from app.paths import checkpoints_dir
from app.wiring.store import open_store
from sessions.schema.worktree import WorktreeChoice
from sessions.store.event_store import EventStore
from sessions.store.reading import resolve_session

EXIT_OK = 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``worktrees`` (and its ``merge``, ``keep``, ``discard``, ``prune``) to the CLI."""
    p = sub.add_parser(
        "worktrees",
        help="list the git worktrees sessions worked in; merge, keep, discard or prune them",
        description="Without an action: list every worktree a session was started in"
        " (`run --worktree`, or the console's new-session form).",
    )
    p.add_argument("--json", action="store_true", help="JSON Lines, one worktree per line")
    p.set_defaults(handler=cmd_list)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    helps: dict[WorktreeChoice, str] = {
        "merge": "commit the session's changes and merge its branch into the starting branch",
        "keep": "commit the session's changes on its branch; remove nothing",
        "discard": "remove the worktree and delete its branch",
    }
    for choice, text in helps.items():
        a = actions.add_parser(choice, help=text)
        a.add_argument("session", help="session id or a unique prefix")
        if choice == "discard":
            a.add_argument(
                "--force",
                action="store_true",
                help="also throw away changes and commits the session's log does not account for",
            )
        a.set_defaults(handler=cmd_finish, choice=choice)
    a = actions.add_parser(
        "prune", help="remove the worktrees of ended sessions that hold nothing (never a dirty one)"
    )
    a.add_argument("--json", action="store_true", help="JSON Lines, one worktree per line")
    a.set_defaults(handler=cmd_prune)


def _user() -> str:
    import getpass

    return getpass.getuser()


def _row(status: WorktreeStatus) -> dict[str, Any]:
    wt, found = status.worktree, status.recorded
    return {
        "session": wt.session_id,
        "session_state": found.session_state,
        "state": found.state,
        "branch": wt.branch,
        "base_branch": wt.base_branch,
        "base_commit": wt.base_commit,
        "path": str(wt.path),
        "repo": str(wt.repo),
        "exists": status.exists,
        "dirty": status.dirty,
        "changes": list(status.changes),
        "commits": status.commits,
    }


HEADER = ("SESSION", "ENDED AS", "WORKTREE", "FILES", "COMMITS", "BRANCH", "PATH")


def _cells(status: WorktreeStatus) -> tuple[str, ...]:
    wt, found = status.worktree, status.recorded
    if not status.exists:
        files = "removed" if found.removed else "missing"
    else:
        files = f"{len(status.changes)} changed" if status.dirty else "clean"
    commits = str(status.commits) if status.commits >= 0 else "-"
    ended = found.session_state if found.session_ended else f"({found.session_state or '?'})"
    return (wt.session_id[:8], ended, found.state, files, commits, wt.branch, str(wt.path))


def _table(rows: list[tuple[str, ...]]) -> str:
    """Columns padded to their widest cell (the last one is not)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    ]
    return "\n".join(lines) + "\n"


def _store(args: argparse.Namespace) -> EventStore:
    return open_store(args.db, create=False)


def cmd_list(args: argparse.Namespace) -> int:
    """List every worktree: session and its state, the worktree's state, dirty, branch, path."""
    store = _store(args)
    try:
        found = list_worktrees(store, checkpoints_root=checkpoints_dir())
    finally:
        store.close()
    out = sys.stdout
    if args.json:
        for status in found:
            out.write(orjson.dumps(_row(status)).decode() + "\n")
        return EXIT_OK
    if not found:
        out.write("no worktrees: start a session with `quarterdeck run --worktree TASK`\n")
        return EXIT_OK
    out.write(_table([HEADER, *(_cells(status) for status in found)]))
    return EXIT_OK


def cmd_finish(args: argparse.Namespace) -> int:
    """Merge, keep or discard one session's worktree; one line says what happened."""
    store = _store(args)
    try:
        session_id = resolve_session(store.engine, args.session)
        finisher = Finisher(
            store=store, checkpoints_root=checkpoints_dir(), actor=f"human:{_user()}"
        )
        done = finisher.finish(session_id, args.choice, force=getattr(args, "force", False))
    finally:
        store.close()
    print(done.message)
    if done.others:
        shown = ", ".join(done.others[:5]) + (" …" if len(done.others) > 5 else "")
        verb = "thrown away" if done.choice == "discard" else "committed"
        print(f"also {verb}: changes the session's log does not account for: {shown}")
    return EXIT_OK


def _pruned_line(pruned: Pruned) -> str:
    wt = pruned.status.worktree
    what = {
        "removed": "removed",
        "dirty": "left: it holds uncommitted changes",
        "has commits": "left: its branch has commits (merge, keep or discard it)",
        "running": "left: its session has not ended",
        "gone": "gone already",
        "failed": f"left: {pruned.error}",
    }[pruned.result]
    return f"{wt.session_id[:8]} {wt.path}: {what}"


def cmd_prune(args: argparse.Namespace) -> int:
    """Remove the worktrees nothing is left in; say what was done with each."""
    store = _store(args)
    try:
        done = prune(store, checkpoints_root=checkpoints_dir(), actor=f"human:{_user()}")
    finally:
        store.close()
    for pruned in done:
        if args.json:
            row = {**_row(pruned.status), "result": pruned.result, "error": pruned.error}
            sys.stdout.write(orjson.dumps(row).decode() + "\n")
        else:
            print(_pruned_line(pruned))
    if not done and not args.json:
        print("nothing to prune")
    return EXIT_OK
