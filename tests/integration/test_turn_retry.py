"""A turn whose agent dies is retried with a fresh agent — unless it had journaled a side effect."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from agents.team import Team
from app.wiring.runtime import build_runtime
from sessions.schema.session import SessionState
from sessions.store.reading import load_session

AGENT = Path(__file__).parent / "agents" / "scripted_agent.py"


def _team(scenario: str, marker: Path) -> Team:
    return Team.model_validate(
        {
            "name": "one-agent",
            "roles": {
                "implementer": {
                    "backend": "acp",
                    "command": sys.executable,
                    "args": [str(AGENT), scenario, str(marker)],
                    # The agent keeps its crash marker outside the workspace: in a state
                    # directory, the one place besides the workspace its sandbox may write.
                    "state_dirs": [str(marker.parent)],
                }
            },
            "workflow": {"order": ["implementer"]},
        }
    )


async def _run(db: Path, workspace: Path, team: Team) -> tuple[SessionState, list[str], list[dict]]:  # type: ignore[type-arg]
    runtime, loaded = build_runtime(str(db))
    assert loaded.ok
    try:
        session_id = runtime.orchestrator.start("do the thing", team, workspace)
        state = await runtime.orchestrator.wait(session_id)
    finally:
        await runtime.close()
    records = load_session(runtime.store.engine, session_id)
    kinds = [r.kind for r in records]
    retries = [r.payload for r in records if r.kind == "retry.scheduled"]
    return state, kinds, retries


def test_an_agent_that_dies_mid_turn_once_is_retried(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    state, kinds, retries = asyncio.run(
        _run(
            tmp_path / "q.db",
            workspace,
            _team("turn_crash_once", tmp_path / "agent-state" / "marker"),
        )
    )
    assert state is SessionState.SUCCEEDED
    assert kinds.count("agent.failed") == 1 and kinds.count("agent.started") == 2
    assert [r["operation"] for r in retries] == ["implementer turn"]


def test_a_turn_with_a_journaled_side_effect_is_never_repeated(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    state, kinds, retries = asyncio.run(
        _run(
            tmp_path / "q.db",
            workspace,
            _team("write_then_crash", tmp_path / "agent-state" / "marker"),
        )
    )
    assert state is SessionState.FAILED
    assert retries == [] and kinds.count("tool.intent") == 1
    assert (workspace / "partial.txt").read_text() == "x\n"
