"""The re-drive itself: the real ``SessionRunner`` and ``Workflow`` against a scratch log.

:class:`RedriveRunner` is a ``SessionRunner`` whose agents are :class:`ReplayAgent`s, whose
validator replays the recorded check results, and whose handoffs are compared with the
recorded ones before they are recorded. Everything else — the workflow's steps, prompts,
retries, the gate, the approvals broker — is the code a live session runs, so a change to any
of it shows up as a divergence. Humans' answers come from the recorded ``approval.resolved``
events. The new events go to a scratch store that is thrown away; the session's own log is
only read.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from agents.approvals.broker import (
    ApprovalBroker,
    ApprovalError,
    BrokerEvent,
    Outcome,
    PendingApproval,
    RequestAdded,
)
from agents.auth.compiled import LoadedPolicy
from agents.auth.egress import KnownSecret
from agents.auth.gate import AuthGate
from agents.auth.holder import PolicyHolder
from agents.backends.spec import TurnAgent
from agents.background import Background
from agents.orchestrator.session import SessionRunner, SessionSpec
from agents.redrive.agent import ReplayAgent
from agents.redrive.journal import Divergence, Journal, Kind, RedriveReport
from agents.redrive.recording import Recording, Segment
from agents.roles.handoffs import ReviewVerdict
from agents.roles.roster import agent_id
from agents.roles.validator import CheckOutcome
from agents.team import Backend
from sessions.schema.flow import ValidationFinished
from sessions.schema.session import SessionContext, SessionState
from sessions.store.crypto import KEY_BYTES, PayloadCipher
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore

ANSWER_TIMEOUT_S = 3600.0
"""No request waits for a human in a re-drive (answers are taken from the log at once)."""


@dataclass(kw_only=True)
class RedriveRunner(SessionRunner):
    """A ``SessionRunner`` for one recorded run: agents, checks and humans from the log."""

    segment: Segment
    journal: Journal

    def new_agent(self, role: str) -> TurnAgent:
        """The role's recorded agent."""
        return ReplayAgent(
            self.segment.tape(agent_id(role)),
            session_id=self.session_id,
            role=role,
            workspace=self.spec.workspace,
            store=self.store,
            gate=self.gate,
            journal=self.journal,
        )

    async def handoff(
        self, from_role: str, to_role: str, model: BaseModel, *, attempt: int = 1, reason: str = ""
    ) -> None:
        """Compare with the next recorded handoff (route and attempt), then record it."""
        actual = f"{from_role} → {to_role} (attempt {attempt})"
        queue = self.segment.handoffs
        recorded = queue.popleft() if queue else None
        journal = self.journal
        if recorded is None:
            missing = Divergence(
                seq=journal.position,
                kind=Kind.HANDOFF,
                expected="no further handoff",
                actual=actual,
            )
            await journal.halt_here(missing, beyond=True)
        elif (recorded.from_role, recorded.to_role, recorded.attempt) != (
            from_role,
            to_role,
            attempt,
        ):
            await journal.halt_here(
                Divergence(
                    seq=recorded.seq, kind=Kind.HANDOFF, expected=recorded.describe(), actual=actual
                )
            )
        else:
            journal.handoffs += 1
            journal.position = recorded.seq
        await super().handoff(from_role, to_role, model, attempt=attempt, reason=reason)

    async def validate(self, attempt: int) -> tuple[bool, list[CheckOutcome]]:
        """The checks' recorded results for ``attempt``, recorded again; nothing runs."""
        checks = self.segment.take_checks(attempt)
        if checks is None:
            expected = f"no checks for attempt {attempt}"
            divergence = Divergence(
                seq=self.journal.position,
                kind=Kind.CHECKS,
                expected=expected,
                actual="the validator runs its checks",
            )
            await self.journal.halt_here(divergence, beyond=True)
        outcomes: list[CheckOutcome] = []
        for check in checks:
            result = ValidationFinished.model_validate(check.payload)
            await self.store.append_durable(self.session_id, "validator", result)
            outcomes.append(
                CheckOutcome(
                    name=result.check,
                    command=tuple(result.command or ()),
                    passed=result.passed,
                    exit_code=result.exit_code,
                    output=result.output,
                    truncated=False,
                    duration_s=0.0,
                    timed_out=False,
                )
            )
            self.journal.position = check.seq
        return all(o.passed for o in outcomes), outcomes

    async def review(self, context: SessionContext, attempt: int) -> ReviewVerdict:
        """As live; a human review must be one the recording has an answer to."""
        human = self.spec.team.roles["reviewer"].backend is Backend.HUMAN
        if human and not self.segment.has_answer("reviewer", f"review-{attempt}"):
            expected = f"no review of attempt {attempt}"
            divergence = Divergence(
                seq=self.journal.position, kind=Kind.REVIEW, expected=expected, actual="a review"
            )
            await self.journal.halt_here(divergence, beyond=True)
        return await super().review(context, attempt)


class RecordedAnswers:
    """Answers every approval request as it was answered in the recording.

    "Always" answers are given as "once": a re-drive writes no standing rule. A timeout is a
    denial (the same final decision). A request the recording never answered (the new run asks
    where the old one did not) is denied; its decision was already reported as diverging.
    """

    def __init__(self, broker: ApprovalBroker) -> None:
        self.segment: Segment | None = None
        self._broker = broker
        self._answers = Background("re-drive answers")
        broker.subscribe(self._changed)

    def _changed(self, event: BrokerEvent) -> None:
        if isinstance(event, RequestAdded) and not self._answers.closed:
            approval = event.approval
            self._answers.spawn(self._answer(approval), name=f"answer-{approval.approval_id}")

    async def close(self) -> None:
        """Answer nothing more; cancel the answers in flight and wait for them."""
        await self._answers.close()

    async def _answer(self, approval: PendingApproval) -> None:
        segment, broker, approval_id = self.segment, self._broker, approval.approval_id
        recorded = segment.take_answer(approval.agent_id, approval.call_id) if segment else None
        with contextlib.suppress(ApprovalError):
            if recorded is None:
                await broker.resolve(
                    approval_id,
                    Outcome.DENIED,
                    decided_by="re-drive",
                    reason="no answer in the recording",
                )
            elif recorded.outcome == Outcome.CANCELLED.value:
                await broker.cancel(approval_id, reason=recorded.reason or "cancelled")
            else:
                approved = recorded.outcome in (Outcome.APPROVED_ONCE, Outcome.APPROVED_ALWAYS)
                await broker.resolve(
                    approval_id,
                    Outcome.APPROVED_ONCE if approved else Outcome.DENIED,
                    decided_by=recorded.decided_by or "re-drive",
                    reason=recorded.reason,  # a reviewer's reason is the next prompt's text
                )


def scratch_store(scratch: Path, *, sealed: bool) -> EventStore:
    """The re-drive's own log, in ``scratch``. When the session's log is encrypted this one is
    too, under a key that dies with it: what was decrypted to re-drive never reaches a disk
    in the clear."""
    cipher = PayloadCipher({1: os.urandom(KEY_BYTES)}, 1) if sealed else None
    return EventStore(open_engine(scratch / "redrive.db"), cipher=cipher)


async def redrive(
    recording: Recording,
    policy: LoadedPolicy | None,
    *,
    scratch: Path,
    sealed: bool = False,
    protected: tuple[Path, ...] = (),
    home: Path | None = None,
    known_secret: KnownSecret | None = None,
) -> RedriveReport:
    """Re-drive every run of ``recording`` under ``policy`` (None: no valid policy, every
    call denied), writing the new events to a database in ``scratch`` (see
    :func:`scratch_store`). ``known_secret`` finds a stored secret in a command, as the live
    gate's does."""
    store = scratch_store(scratch, sealed=sealed)
    journal = Journal()
    broker = ApprovalBroker(store, timeout_s=ANSWER_TIMEOUT_S, user="re-drive")
    answers = RecordedAnswers(broker)
    try:
        holder = PolicyHolder.fixed(policy)
        gate = AuthGate(
            holder,
            store,
            broker,
            protected=protected,
            home=home,
            known_secret=known_secret,
            run_on_violation=False,
        )
        for segment in recording.segments:
            answers.segment = segment
            spec = SessionSpec(
                session_id=recording.session_id,
                title=recording.title,
                context=segment.context,
                team=recording.team,
                workspace=segment.workspace,
            )
            runner = RedriveRunner(
                spec=spec,
                store=store,
                gate=gate,
                broker=broker,
                log_dir=scratch / "logs",
                start=segment.start,
                segment=segment,
                journal=journal,
            )
            task = asyncio.create_task(runner.run(), name="redrive")
            journal.begin(task, complete=segment.complete, first_seq=segment.first_seq)
            await asyncio.wait({task})
            if not task.cancelled():
                _compare_end(segment, task.result(), journal)
            if journal.stopped:
                break
    finally:
        await answers.close()
        store.close()
        store.engine.dispose()
    last = recording.segments[-1] if recording.segments else None
    return RedriveReport(
        session_id=recording.session_id,
        tool_calls=journal.tool_calls,
        handoffs=journal.handoffs,
        runs=len(recording.segments),
        divergences=tuple(journal.divergences),
        ended_early=last is None or not last.complete,
        reached=frozenset(journal.decided),
    )


def _compare_end(segment: Segment, state: SessionState, journal: Journal) -> None:
    """A run the new orchestrator finished: all recorded handoffs made, the same outcome."""
    if not segment.complete:
        return
    if segment.handoffs:
        missing = segment.handoffs.popleft()
        journal.halt(
            Divergence(
                seq=missing.seq, kind=Kind.HANDOFF, expected=missing.describe(), actual="none"
            )
        )
    elif segment.end is not None and segment.end.outcome is not state:
        recorded = segment.end.outcome.value
        journal.halt(
            Divergence(
                seq=segment.end.seq, kind=Kind.OUTCOME, expected=recorded, actual=state.value
            )
        )
