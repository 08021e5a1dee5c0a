"""Talking to agents (the console's ``m``): a message sent mid-turn waits for the turn's end
and is the agent's next prompt; one sent to an agent between turns goes with its next prompt;
one whose agent never has another turn is recorded as dropped. The agents are real processes
(the lifecycle test agent), and what they heard is what they wrote down."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from agents.approvals.broker import BrokerEvent, Outcome, RequestAdded
from agents.supervisor.actions import Supervisor, SupervisorError
from agents.team import Team
from app.wiring.runtime import build_runtime
from sessions.readmodel.reducer import fold
from sessions.schema.session import SessionState
from sessions.store.reading import load_session
from sessions.store.record import Record
from tests.integration.lifecycle_support import agent_role, marker_lines


def _heard(marker: Path) -> list[str]:
    """The prompts an agent received, in order."""
    return [json.loads(line[6:]) for line in marker_lines(marker) if line.startswith("heard ")]


def _of(records: list[Record], kind: str) -> list[Record]:
    return [r for r in records if r.kind == kind]


async def test_messages_reach_agents_after_their_turn_or_with_their_next_prompt(
    tmp_path: Path,
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "notes.txt").write_text("notes\n")
    implementer_heard, reviewer_heard = tmp_path / "implementer", tmp_path / "reviewer"
    team = Team.model_validate(
        {
            "name": "talk",
            "roles": {
                "implementer": agent_role("talk", implementer_heard),
                "reviewer": agent_role("talk", reviewer_heard),
            },
            "workflow": {"order": ["implementer", "reviewer"]},
        }
    )
    runtime, loaded = build_runtime(str(tmp_path / "q.db"))
    assert loaded.ok
    asked: asyncio.Queue[str] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    reviewing = asyncio.Event()

    def listener(event: BrokerEvent) -> None:
        if isinstance(event, RequestAdded):
            asked.put_nowait(event.approval.approval_id)

    def watch(batch: Sequence[Record]) -> None:
        if any(r.kind == "handoff" and r.payload["to_role"] == "reviewer" for r in batch):
            loop.call_soon_threadsafe(reviewing.set)

    runtime.broker.subscribe(listener)
    runtime.store.subscribe(watch)
    orchestrator = runtime.orchestrator
    supervisor = Supervisor(
        runtime.store,
        policy_path=tmp_path / "p.toml",
        broker=runtime.broker,
        orchestrator=orchestrator,
        user="ann",
    )
    try:
        session_id = orchestrator.start("write the notes", team, workspace)
        await orchestrator.pause_agent(session_id, "reviewer", by="ann")  # its turn waits
        first = await asyncio.wait_for(asked.get(), 60)  # the implementer is mid-turn, waiting
        assert supervisor.message_target(session_id) == "implementer"
        said = await supervisor.send_message(session_id, "keep it short")
        assert said == "queued: the implementer is in a turn and hears this when it ends"
        said = await supervisor.send_message(session_id, "check the tabs", role="reviewer")
        assert said == "the reviewer hears this with its next prompt"
        with pytest.raises(SupervisorError, match="no agent plays 'validator'"):
            await supervisor.send_message(session_id, "hi", role="validator")
        with pytest.raises(SupervisorError, match="empty"):
            await supervisor.send_message(session_id, "  ")
        await supervisor.answer(first, Outcome.APPROVED_ONCE)
        await asyncio.wait_for(reviewing.wait(), 60)  # the implementer's work is handed over
        assert supervisor.message_target(session_id) == "implementer"  # the one that ran last
        # The implementer has no turn after an approving review: this one is dropped.
        said = await supervisor.send_message(session_id, "too late")
        assert said == "the implementer hears this with its next prompt"
        await orchestrator.resume_agent(session_id, "reviewer", by="ann")
        assert await orchestrator.wait(session_id) is SessionState.SUCCEEDED
        with pytest.raises(SupervisorError, match="not running in this console"):
            await supervisor.send_message(session_id, "anyone?")
    finally:
        await runtime.close()

    implementer = _heard(implementer_heard)
    assert len(implementer) == 2, implementer
    assert "write the notes" in implementer[0] and "keep it short" not in implementer[0]
    assert "While you worked" in implementer[1] and "- ann: keep it short" in implementer[1]
    [reviewer] = _heard(reviewer_heard)  # one prompt: the workflow's, with the message
    assert "Review the change" in reviewer and "- ann: check the tabs" in reviewer
    assert "too late" not in reviewer

    records = load_session(runtime.store.engine, session_id)
    sent = _of(records, "human.message")
    assert [(r.actor, r.payload["agent_id"], r.payload["text"]) for r in sent] == [
        ("human:ann", "implementer-1", "keep it short"),
        ("human:ann", "reviewer-1", "check the tabs"),
        ("human:ann", "implementer-1", "too late"),
    ]
    delivered = {r.payload["message_id"]: r for r in _of(records, "human.message_delivered")}
    short, tabs, late = (r.payload["message_id"] for r in sent)
    assert delivered[short].payload["how"] == "after_turn"
    assert delivered[tabs].payload["how"] == "next_prompt"
    [resolved] = [
        r
        for r in _of(records, "approval.resolved")
        if r.payload["approval_id"] == first  # the implementer's turn went on after the answer
    ]
    assert delivered[short].seq > resolved.seq
    [dropped] = _of(records, "human.message_dropped")
    assert dropped.payload["message_id"] == late and late not in delivered
    finished = _of(records, "session.finished")[0]
    assert dropped.seq < finished.seq
    view = fold(records).session(session_id)
    assert view is not None and all(not a.queued for a in view.agents)
