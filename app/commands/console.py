"""``quarterdeck`` (the console), ``console`` and ``replay``: the interactive side of the CLI."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from app.wiring.console_boot import Boot, Run

if TYPE_CHECKING:
    from agents.approvals.on_ask import OnAsk

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``console`` to the CLI (``quarterdeck`` alone is ``console``); ``replay`` is
    registered by :mod:`app.commands.replay`, which calls :func:`cmd_replay` for the screen."""
    p = sub.add_parser("console", help="open the console on the database (the default command)")
    p.add_argument("--policy", type=Path, help="policy file (default: the effective policy)")
    p.set_defaults(handler=cmd_console)


def cmd_console(args: argparse.Namespace) -> int:
    """Open the console on every session of the database."""
    return open_console(args.db, policy=getattr(args, "policy", None))


def cmd_replay(args: argparse.Namespace) -> int:
    """Open the replay screen of one session."""
    from app.wiring.store import open_database
    from sessions.store.reading import resolve_session

    # open_database, not open_engine: a key the keyring lacks is reported here, in one line,
    # rather than inside the replay screen.
    engine = open_database(args.db)
    try:
        session_id = resolve_session(engine, args.session)
    finally:
        engine.dispose()
    return _run_app(Boot(db=args.db), replay_session=session_id, replay_at=args.at)


def open_console(
    db: str, *, policy: Path | None = None, runs: Sequence[Run] = (), on_ask: OnAsk | None = None
) -> int:
    """Run the console until the user quits; with ``runs``, start those sessions in it.
    Exit 0, or 1 when a session started here did not succeed."""
    return _run_app(Boot(db=db, policy=policy, runs=runs, on_ask=on_ask))


def _run_app(boot: Boot, *, replay_session: str | None = None, replay_at: int | None = None) -> int:
    from app.console import QuarterdeckApp
    from app.console_settings import load_settings

    if not sys.stdout.isatty():
        print("quarterdeck: error: the console needs a terminal; add --headless", file=sys.stderr)
        return EXIT_USAGE
    app = QuarterdeckApp(
        boot, settings=load_settings(), replay_session=replay_session, replay_at=replay_at
    )
    app.run()
    if app.failure is not None:
        print(f"quarterdeck: error: {app.failure}", file=sys.stderr)
    if app.return_code:
        return app.return_code
    if app.started:
        view = app.model.view
        states = [s.state for sid in app.started if (s := view.session(sid)) is not None]
        if any(state != "succeeded" for state in states) or len(states) < len(app.started):
            return EXIT_FAILED
    return EXIT_OK
