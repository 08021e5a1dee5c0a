"""Run the demo agent on stdio: ``python -m agents.demo --playbook FILE [--speed F] [--attempt N]``.

stdout carries only ACP messages; every log line goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from acp import run_agent

from agents.demo.agent import AGENT_NAME, DemoAgent
from agents.demo.playbook import PlaybookError, load_playbook


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m agents.demo", description="Quarterdeck's scripted ACP demo agent."
    )
    parser.add_argument("--playbook", required=True, type=Path, help="the TOML playbook to play")
    parser.add_argument(
        "--speed",
        type=_non_negative,
        default=1.0,
        help="multiplier for pause steps (0 = never wait; default 1)",
    )
    parser.add_argument(
        "--attempt",
        type=_positive_int,
        default=1,
        help="the attempt the first prompt plays, for playbooks with [[attempts]] (default 1)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Validate the playbook, then serve ACP on stdio until the client hangs up."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format=f"{AGENT_NAME} %(levelname)s %(message)s"
    )
    try:
        playbook = load_playbook(args.playbook)
    except PlaybookError as exc:
        print(f"{AGENT_NAME}: error: {exc}", file=sys.stderr)
        return 2
    agent = DemoAgent(playbook, speed=args.speed, first_attempt=args.attempt)
    # acp.Agent is a Protocol listing every optional method (load, modes, fork, ...); the SDK's
    # router serves only the handlers an agent defines and answers method-not-found otherwise.
    asyncio.run(run_agent(agent))  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
