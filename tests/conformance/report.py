"""``docs/agents.md``: the matrix as a table, agent by check, with the versions tested."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tests.conformance.checks import CHECKS, Agent, Verdict

HEADER = """# Real agents: the conformance matrix

Written by `make conformance` (`python -m tests.conformance`), which installs each agent from
its registry into `build/agents`, runs it through the real `quarterdeck run --headless` with the
default policy and a team whose implementer is that agent (prompted verbatim), and judges what
the event log, the files and the processes show. `.ci/run` runs it after `make test`; a cell
that applies and fails fails CI. No agent here has an account: fast-agent's offline
`passthrough` model does real tool calls when a prompt starts with `***CALL_TOOL`, and the
others are checked where they stop without one (their login, or the network).

✔ passed · ✘ failed (the line below the table says what was seen) · — does not apply
"""


def write_report(
    out: Path,
    agents: Sequence[tuple[Agent, tuple[str, ...]]],
    results: dict[tuple[str, str], Verdict],
) -> None:
    """Write the matrix of ``results`` to ``out``."""
    used = [key for key in CHECKS if any(key in checks for _, checks in agents)]
    lines = [HEADER, "| check | " + " | ".join(a.key for a, _ in agents) + " |"]
    lines.append("|---|" + "---|" * len(agents))
    for key in used:
        cells = []
        for agent, _checks in agents:
            verdict = results.get((agent.key, key))
            cells.append("—" if verdict is None else ("✔" if verdict.passed else "✘"))
        lines.append(f"| {CHECKS[key][0]} | " + " | ".join(cells) + " |")
    lines += ["", "## Agents and versions", ""]
    lines += ["| key | agent | version | launched as |", "|---|---|---|---|"]
    for agent, _ in agents:
        launched = " ".join([Path(agent.command).name, *agent.args])
        lines.append(f"| {agent.key} | {agent.label} | {agent.version} | `{launched}` |")
    lines += ["", "## What each cell saw", ""]
    for (agent_key, check), verdict in results.items():
        mark = "✔" if verdict.passed else "✘"
        lines.append(f"- {mark} `{agent_key}` · {check}: {verdict.detail}")
    out.write_text("\n".join(lines) + "\n")
