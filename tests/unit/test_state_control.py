"""The reducer folds agent.controlled: a paused agent shows as paused until resumed."""

from __future__ import annotations

from sessions.readmodel.reducer import fold
from sessions.readmodel.views import AgentState
from tests.unit.test_state import SID, numbered


def test_pause_and_resume_show_in_the_agent_panel() -> None:
    started = ("agent.started", {"agent_id": "impl-1", "role": "implementer", "backend": "demo"})
    paused = fold(
        numbered([started, ("agent.controlled", {"agent_id": "impl-1", "action": "pause"})])
    )
    agent = paused.session(SID).agent("impl-1")  # type: ignore[union-attr]
    assert agent is not None and agent.state is AgentState.PAUSED
    resumed = fold(
        numbered(
            [("agent.controlled", {"agent_id": "impl-1", "action": "resume", "by": "ann"})], 3
        ),
        paused,
    )
    agent = resumed.session(SID).agent("impl-1")  # type: ignore[union-attr]
    assert agent is not None and agent.state is AgentState.IDLE
