"""A team's granted secret reaches its agent, and only through the team file."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from agents.approvals.broker import ApprovalBroker
from agents.auth.gate import AuthGate
from agents.auth.holder import PolicyHolder
from agents.orchestrator.core import Orchestrator
from agents.secrets.keyring_store import SecretStore, SecretsUnavailableError
from agents.team import Team
from sessions.schema.session import SessionState
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore
from sessions.store.reading import load_session
from tests.unit.test_secrets import MemoryKeyring

AGENT = Path(__file__).parent / "agents" / "scripted_agent.py"


def _team(secrets: dict[str, str]) -> Team:
    implementer = {
        "backend": "acp",
        "command": sys.executable,
        "args": [str(AGENT), "normal"],
        "secrets": secrets,
    }
    return Team.model_validate(
        {"roles": {"implementer": implementer}, "workflow": {"order": ["implementer"]}}
    )


async def _run(tmp_path: Path, team: Team, secrets: object) -> tuple[SessionState, list]:  # type: ignore[type-arg]
    workspace = tmp_path / "ws"
    workspace.mkdir(exist_ok=True)
    (workspace / "input.txt").write_text("hello\n")
    store = EventStore(open_engine(tmp_path / "q.db"))
    holder = PolicyHolder(None)
    holder.load()
    broker = ApprovalBroker(store, timeout_s=5)
    orchestrator = Orchestrator(
        store, AuthGate(holder, store, broker), broker, log_dir=tmp_path / "logs", secrets=secrets
    )  # type: ignore[arg-type]
    try:
        session_id = orchestrator.start("report", team, workspace)
        state = await orchestrator.wait(session_id)
    finally:
        await orchestrator.shutdown()
        store.close()
    return state, load_session(open_engine(tmp_path / "q.db", create=False), session_id)


def test_a_granted_secret_is_in_the_agent_environment(tmp_path: Path) -> None:
    backend = MemoryKeyring()
    store = SecretStore(tmp_path / "secrets.json", backend=backend)
    store.set("svc", "s3cr3t-value-123")
    state, records = asyncio.run(_run(tmp_path, _team({"SERVICE_API_KEY": "svc"}), lambda: store))
    assert state is SessionState.SUCCEEDED
    report = next(
        r.payload["text"]
        for r in records
        if r.kind == "agent.message" and r.payload["text"].startswith("{")
    )
    assert "SERVICE_API_KEY" in json.loads(report)["env"]


def test_without_a_usable_keyring_the_session_fails_with_the_fix(tmp_path: Path) -> None:
    def unavailable() -> SecretStore:
        raise SecretsUnavailableError("no usable keyring: start a Secret Service")

    state, records = asyncio.run(_run(tmp_path, _team({"KEY": "svc"}), unavailable))
    assert state is SessionState.FAILED
    finished = records[-1].payload
    assert "no usable keyring" in finished["summary"]
