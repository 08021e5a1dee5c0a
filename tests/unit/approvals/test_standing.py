"""A standing answer is checked the same way whichever path it takes: this console's broker or
another terminal's supervisor. A grant that would not decide its request is refused on both."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Literal

import pytest

from agents.approvals.broker import (
    ApprovalBroker,
    BrokerEvent,
    Outcome,
    PendingApproval,
    RequestAdded,
)
from agents.auth.grants import GrantError, list_grants
from agents.auth.requests import ToolKind, ToolRequest
from agents.supervisor.actions import Supervisor
from sessions.store.approval_rows import approvals_by_id
from tests.conftest import StoreFactory

Path_ = Literal["console", "elsewhere"]


async def _ask(broker: ApprovalBroker, workspace: Path, command: str) -> PendingApproval:
    """Start a request in the background (as the gate does) and wait until it is pending."""
    request = ToolRequest(
        tool=ToolKind.EXECUTE, role="implementer", workspace=workspace, command=command
    )
    asyncio.get_running_loop().create_task(
        broker.request(
            session_id="s1", agent_id="a1", call_id="c1", request=request, summary=command
        )
    )
    asked: asyncio.Future[PendingApproval] = asyncio.get_running_loop().create_future()

    def listener(event: BrokerEvent) -> None:
        if isinstance(event, RequestAdded):
            asked.set_result(event.approval)

    broker.subscribe(listener)
    return await asyncio.wait_for(asked, 10)


async def _answer_always(
    path: Path_, broker: ApprovalBroker, supervisor: Supervisor, approval_id: str
) -> str | None:
    if path == "console":
        resolution = await broker.resolve(approval_id, Outcome.APPROVED_ALWAYS)
        return resolution.added_rule
    return (await supervisor.answer(approval_id, Outcome.APPROVED_ALWAYS)).added_rule


@pytest.mark.parametrize("path", ["console", "elsewhere"])
async def test_a_grant_an_explicit_ask_rule_would_outrank_is_refused_on_both_paths(
    path: Path_, make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    policy = tmp_path / "config" / "policy.toml"  # missing: the default, which asks for git push
    broker = ApprovalBroker(store, policy_path=policy)
    elsewhere = Supervisor(make_store(), policy_path=policy, broker=None)
    approval = await _ask(broker, tmp_path, "git push origin main")
    with pytest.raises(GrantError, match="outranks it"):
        await _answer_always(path, broker, elsewhere, approval.approval_id)
    assert list_grants(policy) == []
    assert [p.approval_id for p in broker.pending()] == [approval.approval_id]
    assert approvals_by_id(store.engine, [approval.approval_id])[0].pending
    await broker.cancel(approval.approval_id)


@pytest.mark.parametrize("path", ["console", "elsewhere"])
async def test_a_grant_that_decides_its_request_is_written_on_both_paths(
    path: Path_, make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    policy = tmp_path / "config" / "policy.toml"
    broker = ApprovalBroker(store, policy_path=policy)
    elsewhere = Supervisor(make_store(), policy_path=policy, broker=None)
    approval = await _ask(broker, tmp_path, "cargo build --release")
    added = await _answer_always(path, broker, elsewhere, approval.approval_id)
    assert added == f"grant-{approval.approval_id}"
    assert [g.rule_id for g in list_grants(policy)] == [added]
    await broker.sync_external()  # the other terminal's answer reaches the asking process
    assert broker.pending() == []
