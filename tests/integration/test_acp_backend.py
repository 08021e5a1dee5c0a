"""The ACP backend against real agent processes built on the SDK's agent side."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from agents.approvals.broker import (
    ApprovalBroker,
    BrokerEvent,
    Outcome,
    RequestAdded,
    Resolution,
)
from agents.auth.gate import AuthGate
from agents.auth.holder import PolicyHolder
from agents.backends.acp import (
    AcpAgent,
    AcpBackendError,
    AgentAuthRequiredError,
    AgentDiedError,
    AgentSpec,
    ProtocolMismatchError,
)
from agents.backends.executor import DENIED
from agents.backends.stderr_log import LogLimits
from sessions.schema.agent import AgentUsage
from sessions.store.event_store import EventStore
from sessions.store.record import Record
from sessions.store.redaction import Redactor

AGENT = Path(__file__).parent / "agents" / "scripted_agent.py"
LIFECYCLE_AGENT = Path(__file__).parent / "agents" / "lifecycle_agent.py"
SESSION = "sess-acp"


@dataclass
class Harness:
    """A store, a real gate and broker, a workspace, and every committed record."""

    store: EventStore
    broker: ApprovalBroker
    gate: AuthGate
    workspace: Path
    log_dir: Path
    records: list[Record] = field(default_factory=list)
    agents: list[AcpAgent] = field(default_factory=list)

    def agent(
        self, scenario: str, *extra: str, env: dict[str, str] | None = None, **kwargs: Any
    ) -> AcpAgent:
        spec = AgentSpec(command=sys.executable, args=(str(AGENT), scenario, *extra), env=env or {})
        agent = AcpAgent(
            spec,
            session_id=SESSION,
            agent_id="impl-1",
            role="implementer",
            workspace=self.workspace,
            store=self.store,
            gate=self.gate,
            log_dir=self.log_dir,
            **kwargs,
        )
        self.agents.append(agent)
        return agent

    def events(self, kind: str) -> list[Record]:
        self.store.flush()
        return [r for r in self.records if r.kind == kind]

    def message(self) -> dict[str, Any]:
        """The JSON findings the scripted agent reports as its last message."""
        texts = [r.payload["text"] for r in self.events("agent.message")]
        found: dict[str, Any] = json.loads(texts[-1])
        return found


@pytest.fixture
async def h(
    tmp_path: Path, make_store: Callable[..., EventStore], monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Harness]:
    # A throwaway HOME: even if `rm -rf ~` ever ran, it could only empty this directory.
    home = tmp_path / "home"
    (home / "keep").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "input.txt").write_text("hello from the workspace\n")
    store = make_store()
    holder = PolicyHolder(None)
    holder.load()
    broker = ApprovalBroker(store, timeout_s=60)
    gate = AuthGate(holder, store, broker, home=home)
    h = Harness(store, broker, gate, workspace, tmp_path / "logs")
    store.subscribe(h.records.extend)
    yield h
    for agent in h.agents:
        await agent.stop()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_a_turn_reads_writes_and_runs_through_the_gate_with_a_journal(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QD_TEST_TOKEN", "leak")
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)
    agent = h.agent("normal", env={"GRANTED_API_KEY": "granted"})
    await agent.start()
    assert await agent.prompt("go") == "end_turn"

    found = h.message()
    assert found["read"] == "hello from the workspace\n"
    assert (h.workspace / "out.txt").read_text() == "hi\n"
    assert found["exit"] == 0 and "input.txt" in found["ls"] and found["truncated"] is False

    assert found["seq_truncated"] is True and found["seq"].endswith("999\n1000\n")
    assert len(found["seq"]) <= 10
    # The agent's terminal kept 10 bytes, but the log got the whole output as it streamed.
    seq_call = next(
        r.payload["call_id"]
        for r in h.events("tool.intent")
        if (r.payload.get("argv") or [""])[0] == "seq"
    )
    streamed = "".join(
        r.payload["text"] for r in h.events("tool.output") if r.payload["call_id"] == seq_call
    )
    assert streamed == "".join(f"{i}\n" for i in range(1, 1001))
    assert "GRANTED_API_KEY" in found["env"]
    assert "QD_TEST_TOKEN" not in found["env"] and "VIRTUAL_ENV" not in found["env"]

    intents = {r.payload["action"]: r for r in h.events("tool.intent")[:2]}
    results = {r.payload["call_id"]: r for r in h.events("tool.result")}
    assert sorted(r.payload["action"] for r in h.events("tool.intent")) == [
        "execute",
        "execute",
        "write",
    ]
    assert intents["write"].payload["path"] == str(h.workspace / "out.txt")
    assert intents["execute"].payload["argv"] == ["ls", str(h.workspace)]
    for intent in intents.values():
        result = results[intent.payload["call_id"]]
        assert intent.seq < result.seq
        assert result.payload["idempotency_key"] == intent.payload["idempotency_key"]
        assert result.payload["status"] == "completed"
    assert results[intents["execute"].payload["call_id"]].payload["exit_code"] == 0
    assert {r.payload["decision"] for r in h.events("policy.decided")} == {"allow"}

    raw = h.events("raw")
    assert {r.payload.get("direction", "in") for r in raw} == {"in", "out"}
    methods = {r.payload.get("method") for r in raw}
    assert {"initialize", "session/new", "session/prompt", "fs/write_text_file"} <= methods
    mystery = [r for r in raw if "mystery_update" in r.payload_json]
    assert mystery and mystery[0].payload["data"]["params"]["update"]["x"] == 1
    meta = [r for r in raw if '"trace":"t-9"' in r.payload_json]
    assert meta, "the _meta field is kept in the raw frame"
    assert any(r.payload["text"] == "with meta" for r in h.events("agent.message"))
    requested = h.events("tool.requested")
    announced = [r.payload["call_id"] for r in requested if r.payload.get("announced")]
    assert announced == ["tc-1"]  # the agent's own tool_call update
    gated = [r.payload for r in requested if not r.payload.get("announced")]
    decided = {r.payload["call_id"] for r in h.events("policy.decided")}
    assert gated and {p["call_id"] for p in gated} <= decided  # each gated request is decided
    assert all(p["role"] == "implementer" for p in gated)
    started = h.events("agent.started")[0].payload
    assert started["protocol_version"] == 1 and started["backend"] == "acp"
    assert h.events("agent.stopped")[0].payload.get("stop_reason", "end_turn") == "end_turn"

    pid = agent.pid
    assert pid is not None
    await agent.stop()
    assert not _pid_alive(pid)


async def test_permission_is_answered_by_option_kind_not_id(h: Harness) -> None:
    agent = h.agent("permission")
    await agent.start()
    await agent.prompt("go")
    # Allowed by the policy; the only allowing option is an allow_always with an odd id.
    outcome = h.message()["outcome"]
    assert (outcome["outcome"], outcome["optionId"]) == ("selected", "go!")


async def test_four_megabytes_of_stderr_neither_block_nor_fill_the_disk(
    tmp_path: Path, make_store: Callable[..., EventStore]
) -> None:
    secret = "sk-test-0a1b2c3d4e5f6a7b8c9d"
    store = make_store(redact=Redactor({"API_KEY": secret}))
    holder = PolicyHolder(None)
    holder.load()
    broker = ApprovalBroker(store, timeout_s=60)
    workspace = tmp_path / "ws"
    workspace.mkdir()
    limits = LogLimits(max_bytes=1024 * 1024, backups=1)
    spec = AgentSpec(
        command=sys.executable,
        args=(str(AGENT), "stderr"),
        env={"GRANTED_API_KEY": secret},
        secret_vars=frozenset({"GRANTED_API_KEY"}),
    )
    agent = AcpAgent(
        spec,
        session_id=SESSION,
        agent_id="impl-1",
        role="implementer",
        workspace=workspace,
        store=store,
        gate=AuthGate(holder, store, broker),
        log_dir=tmp_path / "logs",
        log_limits=limits,
    )
    try:
        await agent.start()
        assert await agent.prompt("go") == "end_turn"
    finally:
        await agent.stop()
    files = sorted((tmp_path / "logs").iterdir())
    assert [f.name for f in files] == [agent.log_path.name, agent.log_path.name + ".1"]
    assert all(f.stat().st_size <= limits.max_bytes for f in files)
    assert not any(secret.encode() in f.read_bytes() for f in files)
    assert b"using key [REDACTED:API_KEY]" in agent.log_path.read_bytes()
    assert agent.stderr_tail().endswith("THE-END\n")
    assert len(agent.stderr_tail()) <= 4096


async def test_a_crash_mid_turn_raises_and_records_the_stderr_tail(h: Harness) -> None:
    agent = h.agent("crash")
    await agent.start()
    with pytest.raises(AgentDiedError) as caught:
        await agent.prompt("go")
    assert caught.value.exit_code == 3
    assert "the model exploded" in caught.value.stderr_tail
    failed = h.events("agent.failed")[-1].payload
    assert failed["exit_code"] == 3 and "the model exploded" in failed["stderr_tail"]
    with pytest.raises(AgentDiedError):
        await agent.prompt("again")


async def test_garbage_on_stdout_is_a_dead_agent(h: Harness) -> None:
    agent = h.agent("badjson")
    await agent.start()
    with pytest.raises(AgentDiedError, match="invalid JSON"):
        await agent.prompt("go")
    assert "invalid JSON" in h.events("agent.failed")[-1].payload["error"]


async def test_a_failed_start_is_retried_and_recorded(h: Harness, tmp_path: Path) -> None:
    agent = h.agent("crash_once", str(tmp_path / "marker"), retry_max_s=0.2)
    await agent.start()
    assert await agent.prompt("go") == "end_turn"
    retries = h.events("retry.scheduled")
    assert len(retries) == 1 and retries[0].payload["operation"] == "acp.start"
    assert "first start fails" in h.events("agent.failed")[0].payload["stderr_tail"]


async def test_cancel_answers_a_pending_permission_cancelled(h: Harness) -> None:
    asked = asyncio.Event()

    def listener(event: BrokerEvent) -> None:
        if isinstance(event, RequestAdded):
            asked.set()

    h.broker.subscribe(listener)
    agent = h.agent("hang")
    await agent.start()
    turn = asyncio.create_task(agent.prompt("go"))
    await asked.wait()  # `python -c` is asked by the default policy: the agent now waits
    await agent.cancel()
    assert await turn == "cancelled"
    assert json.loads(h.events("agent.message")[-1].payload["text"]) == {"outcome": "cancelled"}
    assert h.events("approval.resolved")[-1].payload["outcome"] == "cancelled"


async def test_stop_kills_the_agent_and_the_terminals_it_started(h: Harness) -> None:
    asked = asyncio.Event()
    h.broker.subscribe(lambda event: asked.set())
    agent = h.agent("terminal_then_hang")
    await agent.start()
    turn = asyncio.create_task(agent.prompt("go"))
    await asked.wait()  # the terminal runs `tail -f` and the agent waits on an approval
    pid = agent.pid
    assert pid is not None
    await agent.stop()
    assert not _pid_alive(pid)
    [intent] = h.events("tool.intent")
    [result] = [
        r for r in h.events("tool.result") if r.payload["call_id"] == intent.payload["call_id"]
    ]
    assert result.payload["exit_code"] == -9  # SIGKILL: the terminal did not outlive the agent
    assert h.events("approval.resolved")[-1].payload["outcome"] == "cancelled"
    with pytest.raises(AgentDiedError):
        await turn


async def test_outside_the_workspace_and_dangerous_commands_are_refused(h: Harness) -> None:
    loop = asyncio.get_running_loop()
    answering: list[asyncio.Task[Resolution]] = []

    def deny_asks(event: BrokerEvent) -> None:
        if isinstance(event, RequestAdded):
            answering.append(
                loop.create_task(h.broker.resolve(event.approval.approval_id, Outcome.DENIED))
            )

    h.broker.subscribe(deny_asks)
    (h.workspace.parent / "secret.txt").write_text("top secret")
    agent = h.agent("outside")
    await agent.start()
    await agent.prompt("go")
    found = h.message()
    for what in ("write", "read", "rm"):
        assert found[what]["error"] == DENIED, what
    assert not (h.workspace.parent / "outside.txt").exists()
    assert (Path(os.environ["HOME"]) / "keep").is_dir()
    assert h.events("tool.intent") == []
    assert h.events("escalation.raised")


async def test_a_needed_login_fails_fast_with_an_escalation(h: Harness) -> None:
    agent = h.agent("auth")
    with pytest.raises(AgentAuthRequiredError, match="needs a login"):
        await agent.start()
    assert "oauth-x" in h.events("escalation.raised")[0].payload["reason"]
    assert h.events("retry.scheduled") == []


@pytest.mark.parametrize(
    ("scenario", "resume", "says"),
    [
        ("login_at_initialize", None, "answered initialize with 'Not logged in"),
        ("login_at_load", "mem-0", "answered session/load with 'Authentication required'"),
    ],
)
async def test_a_login_needed_at_any_handshake_step_says_where_and_how(
    h: Harness, tmp_path: Path, scenario: str, resume: str | None, says: str
) -> None:
    marker = tmp_path / "marker"
    spec = AgentSpec(command=sys.executable, args=(str(LIFECYCLE_AGENT), scenario, str(marker)))
    agent = AcpAgent(
        spec,
        session_id=SESSION,
        agent_id="impl-1",
        role="implementer",
        workspace=h.workspace,
        store=h.store,
        gate=h.gate,
        log_dir=h.log_dir,
        acp_session_id=resume,
    )
    h.agents.append(agent)
    with pytest.raises(AgentAuthRequiredError, match="needs a login"):
        await agent.start()
    [escalation] = h.events("escalation.raised")
    assert escalation.payload["severity"] == "critical" and says in escalation.payload["reason"]
    if resume:
        assert "life-key (Life key; set LIFE_KEY)" in escalation.payload["reason"]
    assert h.events("agent.failed")[0].payload["login_required"] is True
    assert h.events("retry.scheduled") == []


async def test_a_protocol_version_mismatch_is_refused(h: Harness) -> None:
    agent = h.agent("version")
    with pytest.raises(ProtocolMismatchError):
        await agent.start()
    assert "version 2" in h.events("agent.failed")[0].payload["error"]
    assert h.events("retry.scheduled") == []


async def test_a_missing_command_is_an_error(h: Harness) -> None:
    agent = AcpAgent(
        AgentSpec(command="no-such-agent-quarterdeck"),
        session_id=SESSION,
        agent_id="x",
        role="implementer",
        workspace=h.workspace,
        store=h.store,
        gate=h.gate,
        log_dir=h.log_dir,
    )
    with pytest.raises(AcpBackendError, match="not found"):
        await agent.start()


async def test_an_agent_that_can_load_sessions_resumes_the_previous_one(h: Harness) -> None:
    agent = h.agent("loadable", acp_session_id="prev-7")
    try:
        await agent.start()
        assert await agent.prompt("go on") == "end_turn"
    finally:
        await agent.stop()
    out = [r.payload.get("method") for r in h.events("raw") if r.payload.get("direction") == "out"]
    assert "session/load" in out and "session/new" not in out
    # The replayed history is kept once, as history: not as new messages, not as raw frames.
    [history] = h.events("agent.history_replayed")
    texts = [f["params"]["update"]["content"]["text"] for f in history.payload["frames"]]
    assert texts == ["restored prev-7", "and its second message"]
    assert h.events("agent.message")[0].payload["text"] != "restored prev-7"
    updates = [r for r in h.events("raw") if r.payload.get("method") == "session/update"]
    assert not [r for r in updates if "restored" in json.dumps(r.payload)]
    [started] = h.events("agent.started")
    assert started.payload["acp_session_id"] == "prev-7" and started.payload["loaded"] is True


async def test_without_load_support_a_new_session_is_opened(h: Harness) -> None:
    agent = h.agent("ok", acp_session_id="prev-7")
    try:
        await agent.start()
    finally:
        await agent.stop()
    out = [r.payload.get("method") for r in h.events("raw") if r.payload.get("direction") == "out"]
    assert "session/new" in out and "session/load" not in out


class Listening:
    """A session budget that only listens (and never holds)."""

    def __init__(self) -> None:
        self.reports: list[AgentUsage] = []

    def heard(self, usage: AgentUsage) -> None:
        self.reports.append(usage)

    async def hold(self, *, agent_id: str, role: str) -> str | None:
        return None


async def test_usage_updates_over_real_stdio_are_recorded_when_they_tell_something_new(
    h: Harness,
) -> None:
    spending = Listening()
    agent = h.agent("usage", spending=spending)
    await agent.start()
    assert await agent.prompt("go") == "end_turn"

    usage = [r.payload for r in h.events("agent.usage")]
    assert [(u.get("used"), u.get("cost")) for u in usage] == [
        (1000, None),  # the first report
        (5000, 0.25),  # a cost: at once (1100 and 1200 moved the context too little)
        (5100, 0.25),  # held back, then written when the turn ended
    ]
    assert {u["acp_session_id"] for u in usage} == {"s-1"}
    assert usage[1]["currency"] == "USD"
    assert len(spending.reports) == 5  # the budget hears every report, as it comes
    updates = [r.payload["data"].get("params") or {} for r in h.events("raw")]
    frames = [u for u in updates if u.get("update", {}).get("sessionUpdate") == "usage_update"]
    assert len(frames) == 5  # and every frame is kept whole, as always
