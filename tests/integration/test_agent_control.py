"""Per-agent control: a paused agent's next turn waits for resume; the log says who did it."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Sequence
from pathlib import Path

from agents.approvals.on_ask import OnAsk
from agents.team import bundled_team, demo_dir, load_team
from app.wiring.runtime import build_runtime
from sessions.schema.session import SessionState
from sessions.store.reading import load_session
from sessions.store.record import Record


async def _scenario(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    shutil.copytree(demo_dir() / "workspace", workspace)
    team = load_team(bundled_team("demo-team.toml"))
    runtime, loaded = build_runtime(str(tmp_path / "q.db"))
    assert loaded.ok
    runtime.answer_asks(OnAsk.ALLOW)
    loop = asyncio.get_running_loop()
    reached = asyncio.Event()
    try:
        orchestrator = runtime.orchestrator
        session_id = orchestrator.start("fix the bug", team, workspace)

        def watch(batch: Sequence[Record]) -> None:
            for r in batch:
                if r.kind == "handoff" and r.payload["to_role"] == "implementer":
                    loop.call_soon_threadsafe(reached.set)

        runtime.store.subscribe(watch)
        await orchestrator.pause_agent(session_id, "implementer", by="tester")
        await asyncio.wait_for(reached.wait(), 60)  # the work reached the held agent
        runner = orchestrator.runners[session_id]
        assert not runner.role_gates["implementer"].is_set()
        assert "implementer" not in runner.agents  # held: not started
        await orchestrator.resume_agent(session_id, "implementer", by="tester")
        assert await orchestrator.wait(session_id) is SessionState.SUCCEEDED
    finally:
        await runtime.close()
    records = load_session(runtime.store.engine, session_id)
    controls = [
        (r.seq, r.payload["action"], r.actor) for r in records if r.kind == "agent.controlled"
    ]
    assert [(a, who) for _, a, who in controls] == [
        ("pause", "human:tester"),
        ("resume", "human:tester"),
    ]
    started = next(
        r.seq
        for r in records
        if r.kind == "agent.started" and r.payload["agent_id"] == "implementer-1"
    )
    assert started > controls[1][0], "the implementer started only after it was resumed"


def test_a_paused_agent_waits_for_resume(tmp_path: Path) -> None:
    asyncio.run(_scenario(tmp_path))
