"""An execution that carries out a decided permission rides on it: never asked twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agents.approvals.broker import ApprovalBroker, BrokerEvent
from agents.auth.gate import AuthGate, Precedent, ToolCall
from agents.auth.holder import PolicyHolder
from agents.auth.requests import Decision, ToolKind, ToolRequest
from sessions.store.event_store import EventStore
from sessions.store.reading import load_session
from tests.conftest import StoreFactory

APPROVED = Precedent(call_id="tc-9", allowed=True, approval_id="ap-9")
REFUSED = Precedent(call_id="tc-9", allowed=False, reason="denied: no")


def _call(workspace: Path, command: str, rides_on: Precedent) -> ToolCall:
    request = ToolRequest(
        tool=ToolKind.EXECUTE, role="implementer", workspace=workspace, command=command
    )
    return ToolCall(
        session_id="s1",
        agent_id="impl-1",
        call_id="exec-1",
        request=request,
        summary=command,
        rides_on=rides_on,
    )


def _gate(store: EventStore) -> tuple[AuthGate, list[BrokerEvent]]:
    holder = PolicyHolder(None)
    holder.load()
    broker = ApprovalBroker(store)
    asked: list[BrokerEvent] = []
    broker.subscribe(asked.append)
    return AuthGate(holder, store, broker), asked


def _decided(store: EventStore) -> list[dict[str, Any]]:
    store.flush()
    return [r.payload for r in load_session(store.engine, "s1") if r.kind == "policy.decided"]


def _kinds(store: EventStore) -> list[str]:
    return [r.kind for r in load_session(store.engine, "s1")]


async def test_an_ask_is_answered_by_the_approval_it_rides_on(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    gate, asked = _gate(store)
    auth = await gate.authorize(_call(tmp_path, "cargo build", APPROVED))
    assert auth.allowed and auth.precedent == APPROVED and auth.approval_id == "ap-9"
    assert asked == [] and "approval.requested" not in _kinds(store)
    verdict, answer = _decided(store)
    # The policy's own verdict stays on record (`policy diff` reads it), marked as riding too.
    assert (verdict["decision"], verdict["source"], verdict["rides_on"]) == (
        "ask",
        "default",
        "tc-9",
    )
    assert (answer["decision"], answer["source"]) == ("allow", "permission")
    assert (answer["rides_on"], answer["approval_id"]) == ("tc-9", "ap-9")


async def test_an_allowed_call_rides_with_its_own_rule(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    gate, _ = _gate(store)
    auth = await gate.authorize(_call(tmp_path, "ls -la", APPROVED))
    assert auth.allowed
    [decided] = _decided(store)
    assert decided["decision"] == "allow" and decided["source"] == "rule" and decided["rule_id"]
    assert decided["rides_on"] == "tc-9"


async def test_a_deny_at_execution_wins_over_an_approved_permission(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    gate, asked = _gate(store)
    auth = await gate.authorize(_call(tmp_path, "rm -rf ~", APPROVED))
    assert not auth.allowed and auth.decision is Decision.DENY and asked == []
    [decided] = _decided(store)
    assert decided["decision"] == "deny" and decided.get("rides_on") is None
    assert "escalation.raised" in _kinds(store)


async def test_a_refused_permission_refuses_its_execution_and_escalates(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    gate, asked = _gate(store)
    auth = await gate.authorize(_call(tmp_path, "ls -la", REFUSED))  # the policy allows it
    assert not auth.allowed and asked == []
    verdict, decided = _decided(store)
    assert (verdict["decision"], verdict["source"]) == ("allow", "rule")  # for `policy diff`
    assert verdict["rides_on"] == "tc-9"
    assert (decided["decision"], decided["source"], decided.get("rule_id")) == (
        "deny",
        "permission",
        None,
    )
    assert (
        decided["rides_on"] == "tc-9" and "refused at its permission request" in decided["reason"]
    )
    [escalation] = [
        r.payload for r in load_session(store.engine, "s1") if r.kind == "escalation.raised"
    ]
    assert "tried anyway" in escalation["reason"]
