"""The approvals broker: durable before visible, timeout, cancel, always, answers from afar."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agents.approvals.broker import (
    ApprovalBroker,
    ApprovalError,
    BrokerEvent,
    Outcome,
    PendingApproval,
    RequestAdded,
    RequestResolved,
    Resolution,
)
from agents.auth.grants import GrantError, list_grants
from agents.auth.requests import ToolKind, ToolRequest
from sessions.schema.policy import ApprovalResolved
from sessions.store.approval_rows import pending_approvals
from sessions.store.reading import list_sessions, load_session
from tests.conftest import StoreFactory


def _request(workspace: Path, command: str = "cargo build") -> ToolRequest:
    return ToolRequest(
        tool=ToolKind.EXECUTE, role="implementer", workspace=workspace, command=command
    )


def _ask(
    broker: ApprovalBroker, workspace: Path, command: str = "cargo build", *, session: str = "s1"
) -> asyncio.Task[Resolution]:
    """Start a request in the background, as the gate does for an agent's tool call."""
    return asyncio.create_task(
        broker.request(
            session_id=session,
            agent_id="a1",
            call_id=f"c-{session}",
            request=_request(workspace, command),
            summary=command,
        )
    )


async def _asked(broker: ApprovalBroker) -> PendingApproval:
    """Wait (on the broker's own notification, not on time) until a request is pending."""
    arrived = asyncio.Event()
    seen: list[PendingApproval] = []

    def listener(event: BrokerEvent) -> None:
        if isinstance(event, RequestAdded):
            seen.append(event.approval)
            arrived.set()

    broker.subscribe(listener)
    await asyncio.wait_for(arrived.wait(), 10)
    return seen[0]


async def test_a_request_is_on_disk_before_anyone_sees_it(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    broker = ApprovalBroker(store)
    on_disk_when_seen: list[int] = []
    told: list[BrokerEvent] = []

    def listener(event: BrokerEvent) -> None:
        told.append(event)
        if isinstance(event, RequestAdded):
            on_disk_when_seen.append(len(pending_approvals(store.engine)))

    broker.subscribe(listener)
    task = _ask(broker, tmp_path)
    approval = await _asked(broker)
    assert on_disk_when_seen == [1]
    assert list_sessions(store.engine)[0].pending_approvals == 1
    resolution = await broker.resolve(approval.approval_id, Outcome.APPROVED_ONCE, decided_by="ann")
    assert await task == resolution
    assert told == [RequestAdded(approval), RequestResolved(approval, resolution)]
    assert resolution.outcome.approved
    kinds = [r.kind for r in load_session(store.engine, "s1")]
    assert kinds == ["approval.requested", "approval.resolved"]
    assert list_sessions(store.engine)[0].pending_approvals == 0
    with pytest.raises(ApprovalError):
        await broker.resolve(approval.approval_id, Outcome.DENIED)


async def test_an_unanswered_request_times_out_to_deny(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    broker = ApprovalBroker(store)
    resolution = await broker.request(
        session_id="s1",
        agent_id="a1",
        call_id="c1",
        request=_request(tmp_path),
        summary="x",
        timeout_s=0.01,
    )
    assert resolution.outcome is Outcome.TIMEOUT and not resolution.outcome.approved
    last = load_session(store.engine, "s1")[-1]
    assert last.payload["outcome"] == "timeout"


async def test_cancelling_the_waiting_task_records_cancelled(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    broker = ApprovalBroker(store)
    task = _ask(broker, tmp_path)
    await _asked(broker)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert load_session(store.engine, "s1")[-1].payload["outcome"] == "cancelled"
    assert broker.pending() == []


async def test_cancel_session_resolves_only_that_session(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    broker = ApprovalBroker(store)
    tasks = [_ask(broker, tmp_path, session=sid) for sid in ("s1", "s2")]
    while len(broker.pending()) < 2:
        await _asked(broker)
    await broker.cancel_session("s1")
    assert (await tasks[0]).outcome is Outcome.CANCELLED
    assert [p.session_id for p in broker.pending()] == ["s2"]
    await broker.resolve(broker.pending()[0].approval_id, Outcome.DENIED, reason="no")
    assert (await tasks[1]).outcome is Outcome.DENIED


async def test_approve_always_writes_a_narrowed_grant(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    policy = tmp_path / "config" / "policy.toml"
    broker = ApprovalBroker(store, policy_path=policy)
    task = _ask(broker, tmp_path, "cargo build --release")
    approval = await _asked(broker)
    resolution = await broker.resolve(approval.approval_id, Outcome.APPROVED_ALWAYS)
    assert resolution.added_rule == f"grant-{approval.approval_id}"
    assert (await task).outcome is Outcome.APPROVED_ALWAYS
    assert [g.rule_id for g in list_grants(policy)] == [resolution.added_rule]


async def test_always_for_a_shell_is_refused_and_stays_pending(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    broker = ApprovalBroker(store, policy_path=tmp_path / "policy.toml")
    task = _ask(broker, tmp_path, "bash -c 'make'")
    approval = await _asked(broker)
    with pytest.raises(GrantError, match="arbitrary code"):
        await broker.resolve(approval.approval_id, Outcome.APPROVED_ALWAYS)
    assert [p.approval_id for p in broker.pending()] == [approval.approval_id]
    await broker.resolve(approval.approval_id, Outcome.APPROVED_ONCE)
    assert (await task).outcome is Outcome.APPROVED_ONCE


async def test_an_answer_from_another_process_resolves_the_request(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    broker = ApprovalBroker(store)
    task = _ask(broker, tmp_path)
    approval = await _asked(broker)
    other = make_store()  # another process's store on the same file
    await other.append_durable(
        "s1",
        "human:bob",
        ApprovalResolved(
            approval_id=approval.approval_id, outcome="denied", decided_by="bob", reason="not now"
        ),
    )
    assert await broker.sync_external() == 1
    resolution = await task
    assert (resolution.outcome, resolution.decided_by, resolution.reason) == (
        Outcome.DENIED,
        "bob",
        "not now",
    )
    # The broker recorded nothing more: the other process's event is the resolution.
    assert [r.kind for r in load_session(store.engine, "s1")] == [
        "approval.requested",
        "approval.resolved",
    ]


async def test_always_also_answers_the_same_request_waiting_in_another_session(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    broker = ApprovalBroker(store, policy_path=tmp_path / "config" / "policy.toml")
    same = [_ask(broker, tmp_path / sid, "cksum calc/stats.py", session=sid) for sid in "ab"]
    other = _ask(broker, tmp_path, "cksum /etc/hostname", session="c")
    while len(broker.pending()) < 3:
        await _asked(broker)
    first = next(p for p in broker.pending() if p.session_id == "a")
    resolution = await broker.resolve(first.approval_id, Outcome.APPROVED_ALWAYS)
    assert (await same[0]).outcome is Outcome.APPROVED_ALWAYS
    covered = await same[1]
    assert covered.outcome is Outcome.APPROVED_ONCE
    assert covered.reason == f"covered by standing rule {resolution.added_rule}"
    # Another command of the same program is a different request: still asked.
    assert [p.session_id for p in broker.pending()] == ["c"]
    await broker.resolve(broker.pending()[0].approval_id, Outcome.DENIED)
    assert (await other).outcome is Outcome.DENIED
