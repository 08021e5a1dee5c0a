"""The ``quarterdeck`` command: argument parsing and error reporting.

Heavy imports (SQLAlchemy, the store) happen inside the subcommands, so ``--help`` is fast.
Errors a user can act on print one line on stderr with no traceback: exit 2 for usage errors,
1 for failures.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from app.paths import default_db

EXIT_FAILURE = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The whole command-line interface."""
    from app.commands import (
        approvals,
        audit,
        console,
        doctor,
        log,
        policy,
        recover,
        replay,
        run,
        secrets,
        timetravel,
    )

    parser = argparse.ArgumentParser(
        prog="quarterdeck",
        description="Supervise AI coding agents from a terminal: live panels, keyboard"
        " approvals, a policy gate, a tamper-evident audit trail and replay.",
    )
    parser.add_argument(
        "--db",
        default=None,
        metavar="PATH|URL",
        help="database file or sqlite:// URL (default: $QUARTERDECK_DB or the user data dir)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    log.register(sub)
    audit.register(sub)
    approvals.register(sub)
    run.register(sub)
    recover.register(sub)
    policy.register(sub)
    doctor.register(sub)
    secrets.register(sub)
    console.register(sub)
    timetravel.register(sub)
    replay.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit status."""
    from sessions.errors import QuarterdeckError

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # `quarterdeck` alone opens the console
        from app.commands.console import cmd_console

        args.handler = cmd_console
    if args.db is None:
        args.db = default_db()
    try:
        status: int = args.handler(args)
    except QuarterdeckError as exc:
        print(f"quarterdeck: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (| head): not an error worth a traceback
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("quarterdeck: interrupted", file=sys.stderr)
        return 130
    return status


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
