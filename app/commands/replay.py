"""``replay``: the console's replay screen, or (``--redrive``) the session run again from its log.

``--redrive`` runs the orchestrator again with every agent replaced by its recorded ACP frames,
the validator by its recorded results and every human by their recorded answers, under
``--policy`` or the policy in force. Nothing is executed and the session's log is only read;
every tool call goes through the gate again. It prints where the new run diverges from the
recorded one — a different decision, handoff, prompt, answer or outcome — and exits 1 if it
does (see :mod:`agents.redrive`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import orjson

from agents.redrive import Divergence, Kind, RedriveReport, redrive_session
from agents.secrets.keyring_store import SecretsError, SecretStore
from app.commands.policy import EXIT_INVALID, effective_or_report, load_or_report
from app.paths import data_dir
from app.wiring.store import open_database, protected_dirs
from sessions.errors import AmbiguousSessionError, SessionNotFoundError
from sessions.store.reading import resolve_session

EXIT_DIVERGED = 1
EXIT_USAGE = 2


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``replay`` to the CLI."""
    p = sub.add_parser("replay", help="replay a session (console), or --redrive it from its log")
    p.add_argument("session", help="session id or unique prefix")
    p.add_argument(
        "--redrive",
        action="store_true",
        help="run the orchestrator again on the recorded agents, run nothing; exit 1 on divergence",
    )
    p.add_argument(
        "--at", type=int, metavar="SEQ", help="open just after this event (`search` prints it)"
    )
    p.add_argument("--policy", type=Path, help="the policy to re-drive under (default: in force)")
    p.add_argument("--json", action="store_true", help="with --redrive: one JSON object")
    p.set_defaults(handler=cmd_replay)


def open_replay_screen(args: argparse.Namespace) -> int:
    """The console's replay screen of the session."""
    from app.commands.console import cmd_replay as replay_screen

    return replay_screen(args)


def cmd_replay(args: argparse.Namespace) -> int:
    """Open the replay screen, or re-drive the session and report its divergences."""
    if not args.redrive:
        if args.json or args.policy is not None:
            print("quarterdeck: error: --policy and --json need --redrive", file=sys.stderr)
            return EXIT_USAGE
        return open_replay_screen(args)
    if args.at is not None:
        print("quarterdeck: error: --at opens the replay screen, not --redrive", file=sys.stderr)
        return EXIT_USAGE
    if args.policy is not None:
        policy = load_or_report(args.policy)
        if policy is None:
            return EXIT_INVALID
        where = str(args.policy)
    else:
        effective = effective_or_report()
        if effective is None:
            return EXIT_INVALID
        policy, where = effective
    engine = open_database(args.db)
    try:
        try:
            session_id = resolve_session(engine, args.session)
        except (SessionNotFoundError, AmbiguousSessionError) as exc:
            print(f"quarterdeck: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        report = asyncio.run(
            redrive_session(
                engine,
                session_id,
                policy,
                protected=protected_dirs(),
                secret_names=_secret_names(),
                fallback_workspace=Path.cwd(),
            )
        )
    finally:
        engine.dispose()
    if args.json:
        print(orjson.dumps(as_json(report, where)).decode())
    else:
        print_report(report, where)
    return EXIT_DIVERGED if report.diverged else 0


def _secret_names() -> list[str]:
    """The stored secrets' names (no values: the log holds only their masks); none without a
    usable keyring, as a live run would have had none to grant."""
    try:
        return SecretStore(data_dir() / "secrets.json").names()
    except SecretsError:
        return []


def as_json(report: RedriveReport, policy: str) -> dict[str, object]:
    """The report as one JSON object."""
    return {
        "session_id": report.session_id,
        "policy": policy,
        "runs": report.runs,
        "tool_calls": report.tool_calls,
        "handoffs": report.handoffs,
        "ended_early": report.ended_early,
        "diverged": report.diverged,
        "divergences": [d.as_dict() for d in report.divergences],
    }


def line(d: Divergence) -> str:
    """``seq kind agent expected → actual: detail`` and where the re-drive stopped."""
    if d.kind is Kind.DECISION:
        change = f"{d.expected} → {d.actual}"
    else:
        change = f"recorded {d.expected}; now {d.actual}"
    text = f"{d.seq:>7} {d.kind.value:<8} {d.agent_id or 'orchestrator':<14} {change}"
    if d.detail:
        text += f": {d.detail}"
    if d.stopped:
        text += "  [re-drive stopped here]"
    if not d.redriven:
        text += "  [not reached: re-decided alone]"
    return text


def print_report(report: RedriveReport, policy: str) -> None:
    """The divergences, one a line, then what was compared."""
    counted = f"{report.tool_calls} tool calls, {report.handoffs} handoffs re-driven"
    for divergence in report.divergences:
        print(line(divergence))
    if report.diverged:
        print(f"{len(report.divergences)} divergence(s): {counted}")
    else:
        print(f"no divergence: {counted}")
    tail = "; its log stops inside a run, re-driven up to there" if report.ended_early else ""
    print(
        f"session {report.session_id[:8]}, {report.runs} run(s), policy {policy}{tail}",
        file=sys.stderr,
    )
