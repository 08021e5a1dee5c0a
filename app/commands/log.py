"""``sessions``, ``show``, ``export`` and ``import``: reading and moving session logs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from app.wiring.store import open_database, open_database_keyless, open_store
from sessions.errors import SessionNotFoundError
from sessions.readmodel.context import session_context
from sessions.readmodel.describe import describe
from sessions.schema.flow import RawRecorded
from sessions.store.reading import list_sessions, load_session, resolve_session
from sessions.store.transfer import export_session, exported, import_session

SEALED_TITLE = "[title encrypted]"
"""What ``sessions`` shows for a title it has no key to open."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the log commands to the CLI."""
    p = sub.add_parser("sessions", help="list sessions: id, title, state, created, events")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(handler=cmd_sessions)

    p = sub.add_parser("show", help="print a session's events")
    p.add_argument("session", help="session id or a unique prefix of one")
    p.add_argument("--json", action="store_true", help="JSON Lines, one record per line")
    p.add_argument(
        "--context", action="store_true", help="print the session's context document as JSON"
    )
    p.add_argument(
        "--raw",
        action="store_true",
        help="include the raw ACP frames (kind raw), hidden by default",
    )
    p.set_defaults(handler=cmd_show)

    p = sub.add_parser("export", help="export a session as JSON Lines (SessionSchema v1)")
    p.add_argument("session", help="session id or a unique prefix of one")
    p.add_argument("-o", "--output", type=Path, help="write to FILE instead of stdout")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("import", help="import a session exported as JSON Lines")
    p.add_argument("file", type=Path, help="a file written by `quarterdeck export`")
    p.set_defaults(handler=cmd_import)


def cmd_sessions(args: argparse.Namespace) -> int:
    """List sessions from the projection. An encrypted database's titles are opened with its
    key; when the key cannot be loaded the ids, states and counts are still listed, and one
    line on stderr says why the titles are not."""
    engine, no_key = open_database_keyless(args.db)
    sessions = list_sessions(engine, keyless=True)
    if no_key is not None and any(s.sealed for s in sessions):
        print(f"quarterdeck: note: titles are encrypted and not shown: {no_key}", file=sys.stderr)
    out = sys.stdout
    for s in sessions:
        if args.json:
            line = {
                "id": s.session_id,
                "title": None if s.sealed else s.title,
                "state": s.state,
                "created": s.created_ts,
                "events": s.event_count,
                "pending_approvals": s.pending_approvals,
                "agents": s.agents,
            }
            out.write(orjson.dumps(line).decode() + "\n")
        else:
            out.write(
                f"{s.session_id}  {s.state:<17} {s.created_ts[:19]}  {s.event_count:>7} ev"
                f"  {SEALED_TITLE if s.sealed else s.title}\n"
            )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """Print a session's events, human-readable or as JSON Lines; raw frames only with --raw
    (``export`` always has everything)."""
    engine = open_database(args.db)
    session_id = resolve_session(engine, args.session)
    out = sys.stdout
    if args.context:
        context = session_context(load_session(engine, session_id))
        if context is None:
            raise SessionNotFoundError(f"session {session_id} has no context document")
        out.write(context.model_dump_json(indent=2) + "\n")
        return 0
    records = exported(engine, session_id) if args.json else load_session(engine, session_id)
    for r in records:
        if r.kind == RawRecorded.KIND and not args.raw:  # frames kept whole: noise to a reader
            continue
        if args.json:
            out.write(orjson.dumps(r.to_dict(), option=orjson.OPT_SORT_KEYS).decode() + "\n")
        else:
            out.write(
                f"{r.seq:>7} {r.session_seq:>5}  {r.ts[11:23]}  {r.actor:<14} {r.kind:<22}"
                f" {describe(r)}\n"
            )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Export a session; to a file it is written to a temp name and renamed, never half."""
    engine = open_database(args.db)
    session_id = resolve_session(engine, args.session)
    if args.output is None:
        export_session(engine, session_id, sys.stdout.buffer)
        sys.stdout.flush()
        return 0
    target: Path = args.output
    partial = target.with_name(target.name + ".partial")
    with partial.open("wb") as fh:
        count = export_session(engine, session_id, fh)
    partial.replace(target)
    print(f"exported {count} events of {session_id} to {target}", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Import a session after validating every line; prints the new session's id."""
    store = open_store(args.db)
    try:
        imported = import_session(store, args.file)
    finally:
        store.close()
    print(imported.session_id)
    print(
        f"imported {imported.events} events as seq {imported.first_seq}..{imported.last_seq}",
        file=sys.stderr,
    )
    return 0
