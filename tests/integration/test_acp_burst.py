"""An agent that streams 5,000 message chunks in one burst: every one is logged, in order."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from agents.approvals.broker import ApprovalBroker
from agents.auth.gate import AuthGate
from agents.auth.holder import PolicyHolder
from agents.backends.acp import AcpAgent
from agents.orchestrator.agent_launch import agent_spec
from agents.team import Backend, RoleConfig
from sessions.store.event_store import EventStore
from sessions.store.record import Record

CHUNKS = 5_000
SESSION = "sess-burst"


def burst_playbook(directory: Path, chunks: int) -> tuple[Path, list[str]]:
    """A demo playbook whose one message step streams ``chunks`` distinct 8-character chunks."""
    pieces = [f"{i:07d}," for i in range(chunks)]
    path = directory / "burst.toml"
    step = {"kind": "message", "text": "".join(pieces), "chunk": 8}
    lines = ['name = "burst"', "", "[[steps]]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in step.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, pieces


async def test_five_thousand_chunks_in_a_burst_are_all_logged_in_order(
    tmp_path: Path, make_store: Callable[..., EventStore]
) -> None:
    playbook, pieces = burst_playbook(tmp_path, CHUNKS)
    workspace = tmp_path / "ws"
    workspace.mkdir()
    store = make_store()
    records: list[Record] = []
    store.subscribe(records.extend)
    holder = PolicyHolder(None)
    holder.load()
    broker = ApprovalBroker(store, timeout_s=60)
    gate = AuthGate(holder, store, broker)
    role = RoleConfig(backend=Backend.DEMO, playbook=str(playbook), speed=0)
    agent = AcpAgent(
        agent_spec("implementer", role),
        session_id=SESSION,
        agent_id="impl-1",
        role="implementer",
        workspace=workspace,
        store=store,
        gate=gate,
        log_dir=tmp_path / "logs",
    )
    try:
        await agent.start()
        reason = await agent.prompt("go")
    finally:
        await agent.stop()
    store.flush()

    assert reason == "end_turn"
    messages = [r for r in records if r.kind == "agent.message"]
    assert [r.payload["text"] for r in messages] == pieces
    assert "".join(r.payload["text"] for r in messages) == "".join(pieces)
    assert [r.session_seq for r in messages] == sorted(r.session_seq for r in messages)

    frames = [
        r.payload["data"]["params"]["update"]
        for r in records
        if r.kind == "raw"
        and r.payload.get("method") == "session/update"
        and r.payload.get("direction", "in") == "in"
    ]
    chunks = [u for u in frames if u.get("sessionUpdate") == "agent_message_chunk"]
    assert [u["content"]["text"] for u in chunks] == pieces
    stopped = [r for r in records if r.kind == "agent.stopped"]
    assert [r.payload.get("stop_reason", "end_turn") for r in stopped] == ["end_turn", "stopped"]
