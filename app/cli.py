"""The ``quarterdeck`` command: argument parsing and error reporting.

Heavy imports (SQLAlchemy, the store) happen inside the subcommands, so ``--help`` is fast.
Errors a user can act on print one line on stderr with no traceback: exit 2 for usage errors,
1 for failures.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from app.paths import default_db

EXIT_FAILURE = 1
EXIT_USAGE = 2


MODULES = (
    "log",
    "audit",
    "approvals",
    "run",
    "recover",
    "policy",
    "doctor",
    "secrets",
    "console",
    "timetravel",
    "replay",
    "search",
    "worktrees",
)
"""The modules under ``app.commands``, in the order ``--help`` lists their commands."""

COMMANDS: dict[str, str] = {
    "sessions": "log",
    "show": "log",
    "export": "log",
    "import": "log",
    "audit": "audit",
    "approvals": "approvals",
    "approve": "approvals",
    "deny": "approvals",
    "grants": "approvals",
    "revoke": "approvals",
    "run": "run",
    "demo": "run",
    "resume": "recover",
    "cancel": "recover",
    "policy": "policy",
    "doctor": "doctor",
    "secrets": "secrets",
    "console": "console",
    "rollback": "timetravel",
    "fork": "timetravel",
    "replay": "replay",
    "search": "search",
    "worktrees": "worktrees",
}
"""Which module defines each command: only that one is imported to run it (the others pull in
SQLAlchemy, the ACP schema and the orchestrator, which would delay the console's first paint)."""


def build_parser(modules: Sequence[str] = MODULES) -> argparse.ArgumentParser:
    """The command-line interface with the commands of ``modules`` (all by default)."""
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
    for name in modules:
        importlib.import_module(f"app.commands.{name}").register(sub)
    return parser


def _command_of(argv: Sequence[str]) -> str | None:
    """The command word of ``argv`` (after the global ``--db``), or None when there is none."""
    args = list(argv)
    while args:
        word = args.pop(0)
        if word == "--db":
            if args:
                args.pop(0)
        elif not word.startswith("--db="):
            return word
    return None


def _parser_for(argv: Sequence[str]) -> argparse.ArgumentParser:
    word = _command_of(argv)
    if word is None:  # `quarterdeck` alone: the console
        return build_parser(["console"])
    module = COMMANDS.get(word)
    return build_parser([module] if module is not None else MODULES)  # help, typos: all


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit status."""
    from sessions.errors import QuarterdeckError

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser_for(argv)
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
