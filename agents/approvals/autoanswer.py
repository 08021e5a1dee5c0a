"""Headless answers to "ask": allow, deny, or wait for ``quarterdeck approve`` elsewhere."""

from __future__ import annotations

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
from agents.background import Background


def answer_automatically(broker: ApprovalBroker, mode: OnAsk) -> Background:
    """Subscribe ``broker`` so every request is answered as ``mode`` says (wait: not at all).

    The answers in flight are the returned tasks; closing them, when the run ends, cancels
    them and answers nothing more.
    """
    answers = Background(f"--on-ask {mode.value}")
    if mode is OnAsk.WAIT:
        return answers
    outcome = Outcome.APPROVED_ONCE if mode is OnAsk.ALLOW else Outcome.DENIED
    who = f"{getpass.getuser()} (--on-ask {mode.value})"
    reason = f"answered by --on-ask {mode.value}"

    async def answer(approval_id: str) -> None:
        # Another answer (a terminal, a cancel) may have come first: then there is nothing to do.
        with contextlib.suppress(ApprovalError):
            await broker.resolve(approval_id, outcome, decided_by=who, reason=reason)

    def listener(event: BrokerEvent) -> None:
        if isinstance(event, RequestAdded) and not answers.closed:
            approval_id = event.approval.approval_id
            answers.spawn(answer(approval_id), name=f"answer-{approval_id}")

    broker.subscribe(listener)
    return answers
