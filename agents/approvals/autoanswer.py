"""Headless answers to "ask": allow, deny, or wait for ``quarterdeck approve`` elsewhere."""

from __future__ import annotations

import asyncio
import contextlib
import getpass

from agents.approvals.broker import (
    ApprovalBroker,
    ApprovalError,
    BrokerEvent,
    Outcome,
    RequestAdded,
)
from agents.approvals.on_ask import OnAsk


def answer_automatically(broker: ApprovalBroker, mode: OnAsk) -> None:
    """Subscribe ``broker`` so every request is answered as ``mode`` says (wait: not at all)."""
    if mode is OnAsk.WAIT:
        return
    outcome = Outcome.APPROVED_ONCE if mode is OnAsk.ALLOW else Outcome.DENIED
    who = f"{getpass.getuser()} (--on-ask {mode.value})"
    reason = f"answered by --on-ask {mode.value}"

    async def answer(approval_id: str) -> None:
        # Another answer (a terminal, a cancel) may have come first: then there is nothing to do.
        with contextlib.suppress(ApprovalError):
            await broker.resolve(approval_id, outcome, decided_by=who, reason=reason)

    def listener(event: BrokerEvent) -> None:
        if isinstance(event, RequestAdded):
            asyncio.get_running_loop().create_task(answer(event.approval.approval_id))

    broker.subscribe(listener)
