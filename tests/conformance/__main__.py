"""``make conformance``: real third-party ACP agents through the real ``quarterdeck run``.

Installs the agents into a cache (``build/agents``), runs every check that applies to each,
writes the matrix to ``docs/agents.md`` and exits 1 when a cell that applies failed::

    python -m tests.conformance [--cache DIR] [--out FILE] [--only AGENT[:CHECK]]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from tests.conformance.checks import CHECKS, ROOT, Agent, Verdict
from tests.conformance.harness import Sandbox
from tests.conformance.install import Installed, InstallError, install
from tests.conformance.report import write_report

FAST = ("--no-update-check", "acp", "--model", "passthrough", "--shell")
TOOL_CHECKS = (
    "starts",
    "write_inside",
    "write_outside",
    "write_asked",
    "benign_command",
    "risky_command",
    "dangerous_command",
    "secret_read",
    "cancel",
)


def roster(installed: Installed) -> list[tuple[Agent, tuple[str, ...]]]:
    """Each agent of the matrix and the checks that apply to it."""
    versions, npm = installed.versions, installed.npm_bin
    fast = str(installed.fast_agent)
    return [
        (
            Agent(
                key="fast-agent",
                label="fast-agent (passthrough model)",
                command=fast,
                args=FAST,
                version=versions["fast-agent-mcp"],
                verbatim=True,
            ),
            TOOL_CHECKS,
        ),
        (
            Agent(
                key="fast-agent-local-shell",
                label="fast-agent, its own shell (--prefer-local-shell)",
                command=fast,
                args=(*FAST, "--prefer-local-shell"),
                version=versions["fast-agent-mcp"],
                verbatim=True,
            ),
            ("own_shell",),
        ),
        (
            Agent(
                key="claude-agent-acp",
                label="Claude Code adapter, no login",
                command=str(npm / "claude-agent-acp"),
                args=(),
                version=versions["@agentclientprotocol/claude-agent-acp"],
            ),
            ("login_missing",),
        ),
        (
            Agent(
                key="gemini",
                label="Gemini CLI --acp, no login",
                command=str(npm / "gemini"),
                args=("--acp",),
                version=versions["@google/gemini-cli"],
            ),
            ("login_missing",),
        ),
        (
            Agent(
                key="opencode",
                label="OpenCode (its model needs the network)",
                command=str(npm / "opencode"),
                args=("acp",),
                version=versions["opencode-ai"],
            ),
            ("cancel_at_start",),
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the matrix; 0 when every cell that applies passed."""
    parser = argparse.ArgumentParser(prog="python -m tests.conformance")
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "agents")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "agents.md")
    parser.add_argument("--only", default=None, help="AGENT or AGENT:CHECK")
    parser.add_argument("--keep", action="store_true", help="keep each check's directory")
    args = parser.parse_args(argv)
    try:
        installed = install(args.cache)
    except InstallError as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return 1
    agents = roster(installed)
    results: dict[tuple[str, str], Verdict] = {}
    only_agent, _, only_check = (args.only or "").partition(":")
    for agent, checks in agents:
        if only_agent and agent.key != only_agent:
            continue
        for check in checks:
            if only_check and check != only_check:
                continue
            root = Path(tempfile.mkdtemp(prefix=f"qd-conf-{agent.key}-{check}-"))
            began = time.monotonic()
            try:
                verdict = CHECKS[check][1](agent, Sandbox(root=root))
            except Exception as exc:  # a broken check is a failed cell, not a crashed matrix
                verdict = Verdict(passed=False, detail=f"check crashed: {exc!r}")
            mark = "pass" if verdict.passed else "FAIL"
            took = time.monotonic() - began
            print(f"{mark}  {agent.key:<24} {check:<18} {took:5.1f}s  {verdict.detail}")
            results[(agent.key, check)] = verdict
            if args.keep or not verdict.passed:
                print(f"      kept: {root}")
            else:
                shutil.rmtree(root, ignore_errors=True)
    if not args.only:
        write_report(args.out, agents, results)
        print(f"wrote {args.out}")
    return 0 if all(v.passed for v in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
