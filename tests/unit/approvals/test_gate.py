"""The gate: every decision is an attributed event; asks go to the broker; denials escalate."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from agents.approvals.broker import (
    ApprovalBroker,
    BrokerEvent,
    Outcome,
    RequestAdded,
)
from agents.auth.gate import NO_POLICY_HASH, AuthGate, ToolCall
from agents.auth.holder import PolicyHolder
from agents.auth.loader import default_policy
from agents.auth.requests import Decision, ToolKind, ToolRequest
from sessions.store.reading import load_session
from tests.conftest import StoreFactory


def _call(workspace: Path, command: str, call_id: str = "c1") -> ToolCall:
    request = ToolRequest(
        tool=ToolKind.EXECUTE, role="implementer", workspace=workspace, command=command
    )
    return ToolCall(
        session_id="s1", agent_id="impl-1", call_id=call_id, request=request, summary=command
    )


def _gate(store: object, holder: PolicyHolder, broker: ApprovalBroker) -> AuthGate:
    return AuthGate(holder, store, broker)  # type: ignore[arg-type]


async def test_allow_and_deny_are_recorded_with_rule_hash_and_source(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    holder = PolicyHolder(tmp_path / "none.toml")
    holder.load()
    gate = _gate(store, holder, ApprovalBroker(store))
    allowed = await gate.authorize(_call(tmp_path, "ls -la", "c1"))
    denied = await gate.authorize(_call(tmp_path, "rm -rf ~", "c2"))
    assert allowed.allowed and allowed.decision is Decision.ALLOW
    assert not denied.allowed and denied.decision is Decision.DENY
    records = load_session(store.engine, "s1")
    decided = [r.payload for r in records if r.kind == "policy.decided"]
    assert [d["decision"] for d in decided] == ["allow", "deny"]
    for d in decided:
        assert d["policy_hash"] == default_policy().sha256
        assert d["source"] in {"rule", "ceiling", "analysis"}
        assert d["elapsed_ms"] > 0
    assert decided[0]["rule_id"]  # an allow always names its rule
    assert "outside the workspace" in decided[1]["reason"]
    escalation = [r.payload for r in records if r.kind == "escalation.raised"]
    assert len(escalation) == 1 and escalation[0]["call_id"] == "c2"


async def test_an_ask_waits_for_a_human_and_records_who(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    holder = PolicyHolder(None)
    holder.load()
    broker = ApprovalBroker(store)
    asked = asyncio.Event()

    def listener(event: BrokerEvent) -> None:
        if isinstance(event, RequestAdded):
            asked.set()

    broker.subscribe(listener)
    task = asyncio.create_task(
        _gate(store, holder, broker).authorize(_call(tmp_path, "cargo build"))
    )
    await asyncio.wait_for(asked.wait(), 10)
    [pending] = broker.pending()
    await broker.resolve(pending.approval_id, Outcome.APPROVED_ONCE, decided_by="ann")
    result = await task
    assert result.allowed and result.resolution is not None
    decided = [r for r in load_session(store.engine, "s1") if r.kind == "policy.decided"]
    assert [(r.payload["decision"], r.payload.get("source"), r.actor) for r in decided] == [
        ("ask", "default", "auth"),
        ("allow", "human", "human:ann"),
    ]
    assert decided[1].payload["decided_by"] == "ann"


async def test_without_a_valid_policy_everything_is_denied(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    bad = tmp_path / "policy.toml"
    bad.write_text("this is not toml [")
    holder = PolicyHolder(bad)
    holder.load()
    result = await _gate(store, holder, ApprovalBroker(store)).authorize(_call(tmp_path, "ls"))
    assert result.decision is Decision.DENY
    decided = next(r for r in load_session(store.engine, "s1") if r.kind == "policy.decided")
    assert decided.payload["policy_hash"] == NO_POLICY_HASH


async def test_on_violation_receives_the_escalation_as_json(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    sink = tmp_path / "violations.jsonl"
    hook = tmp_path / "hook.py"
    hook.write_text(f"import sys\nopen({str(sink)!r}, 'a').write(sys.stdin.read())\n")
    policy = tmp_path / "policy.toml"
    policy.write_text(
        f'[settings]\non_violation = "{sys.executable} {hook}"\n\n'
        '[roles.implementer]\ntools = ["execute"]\n\n'
        '[[rules]]\nid = "no-rm"\ndecision = "deny"\ncommands = [["rm"]]\n'
    )
    store = make_store()
    holder = PolicyHolder(policy)
    assert holder.load().ok
    await _gate(store, holder, ApprovalBroker(store)).authorize(_call(tmp_path, "rm x"))
    event = __import__("json").loads(sink.read_text())
    assert event["kind"] == "escalation.raised" and event["payload"]["rule_id"] == "no-rm"
