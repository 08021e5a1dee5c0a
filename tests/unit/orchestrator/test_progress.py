"""Folding a session's log into where it stopped, on hand-built records."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

import orjson
from pydantic import BaseModel

from agents.orchestrator.progress import Step, describe_progress, fold_progress
from agents.orchestrator.workflow import Workflow
from agents.roles.handoffs import (
    ImplementationReport,
    PlanHandoff,
    ReviewVerdict,
    TaskHandoff,
    ValidationFailure,
    handoff_event,
)
from agents.roles.validator import CheckOutcome
from agents.team import Team
from sessions.schema.agent import AgentStarted
from sessions.schema.base import Payload
from sessions.schema.policy import ApprovalResolved
from sessions.schema.session import (
    SessionContext,
    SessionCreated,
    SessionFinished,
    SessionState,
    SessionStateChanged,
)
from sessions.schema.tools import ToolIntent, ToolResult
from sessions.schema.worktree import WorktreeCreated
from sessions.store.record import Record

if TYPE_CHECKING:
    from agents.orchestrator.session import SessionRunner

SID = "s-1"
CONTEXT = SessionContext(task="fix it", constraints=["no new deps"])


def _records(*payloads: Payload, actor: str = "orchestrator") -> list[Record]:
    return [
        Record(
            i,
            SID,
            i,
            "2026-11-24T00:00:00.000000Z",
            actor,
            p.KIND,
            1,
            orjson.dumps(p.model_dump(mode="json")).decode(),
            "0" * 64,
            "0" * 64,
        )
        for i, p in enumerate(payloads, start=1)
    ]


def _created() -> list[Payload]:
    return [
        SessionCreated(title="fix it", workspace="/ws", team="demo", context=CONTEXT),
        SessionStateChanged(from_state=SessionState.CREATED, to_state=SessionState.RUNNING),
    ]


def _h(src: str, dst: str, model: BaseModel, attempt: int = 1) -> Payload:
    return handoff_event(src, dst, model, attempt=attempt)


PLAN = PlanHandoff(plan=["find it", "fix it"], constraints=["no new deps"])


def _task(attempt: int) -> TaskHandoff:
    return TaskHandoff(task="fix it", context=CONTEXT, attempt=attempt)


def test_a_fresh_session_starts_from_the_plan() -> None:
    progress = fold_progress(SID, _records(*_created()))
    assert progress.step is Step.PREPARE and progress.attempt == 1
    assert progress.state is SessionState.RUNNING and not progress.finished
    assert progress.context == CONTEXT and progress.team == "demo" and progress.workspace == "/ws"
    assert progress.resumable


def test_after_the_plan_the_first_attempt_starts_with_the_plan_in_context() -> None:
    progress = fold_progress(SID, _records(*_created(), _h("planner", "orchestrator", PLAN)))
    assert progress.step is Step.ATTEMPT and progress.attempt == 1
    assert progress.context is not None and progress.context.plan == ["find it", "fix it"]
    assert ("planner", "orchestrator") in progress.handed_over


def test_a_failed_validation_moves_to_the_next_attempt_with_its_output() -> None:
    report = ImplementationReport(summary="changed x", attempt=1)
    failure = ValidationFailure(checks=["pytest"], output="1 failed", attempt=1)
    progress = fold_progress(
        SID,
        _records(
            *_created(),
            _h("planner", "orchestrator", PLAN),
            _h("orchestrator", "implementer", _task(1)),
            _h("implementer", "validator", report),
            _h("validator", "implementer", failure),
            _h("orchestrator", "implementer", _task(2), attempt=2),
        ),
    )
    assert progress.step is Step.IMPLEMENT and progress.attempt == 2
    assert progress.failures == ("1 failed",)
    assert progress.last_handoff == ("orchestrator", "implementer")


def test_each_handoff_names_the_next_step() -> None:
    base = [
        *_created(),
        _h("planner", "orchestrator", PLAN),
        _h("orchestrator", "implementer", _task(1)),
    ]
    report = ImplementationReport(summary="did it", attempt=1)
    at_validate = fold_progress(SID, _records(*base, _h("implementer", "validator", report)))
    assert at_validate.step is Step.VALIDATE and at_validate.report == "did it"
    at_review = fold_progress(SID, _records(*base, _h("implementer", "reviewer", report)))
    assert at_review.step is Step.REVIEW
    rejected = ReviewVerdict(approved=False, comments="needs a test")
    verdict = fold_progress(
        SID,
        _records(
            *base, _h("implementer", "reviewer", report), _h("reviewer", "orchestrator", rejected)
        ),
    )
    assert verdict.step is Step.VERDICT and not verdict.approved
    assert verdict.failures == ("review: needs a test",)


def test_intents_without_results_and_open_approvals_are_what_the_crash_left() -> None:
    progress = fold_progress(
        SID,
        _records(
            *_created(),
            ToolIntent(call_id="c1", idempotency_key="k1", action="write", path="/ws/a.py"),
            ToolResult(call_id="c1", idempotency_key="k1", status="completed"),
            ToolIntent(call_id="c2", idempotency_key="k2", action="execute", argv=["make", "x"]),
            ApprovalResolved(approval_id="gone", outcome="cancelled"),
            SessionStateChanged(
                from_state=SessionState.RUNNING, to_state=SessionState.AWAITING_APPROVAL
            ),
        ),
    )
    assert [(d.call_id, d.idempotency_key, d.summary) for d in progress.dangling] == [
        ("c2", "k2", "make x")
    ]
    assert progress.state is SessionState.AWAITING_APPROVAL
    assert "1 tool call(s) with an unknown outcome" in describe_progress(progress)


def test_a_finished_session_is_not_resumable() -> None:
    progress = fold_progress(
        SID, _records(*_created(), SessionFinished(outcome=SessionState.SUCCEEDED))
    )
    assert progress.finished and not progress.resumable
    assert progress.state is SessionState.SUCCEEDED


def test_a_session_without_a_context_is_not_resumable() -> None:
    progress = fold_progress(SID, _records(SessionCreated(title="imported")))
    assert not progress.finished and not progress.resumable


class _FakeRunner:
    """Records the calls a workflow makes; the validator fails once, the reviewer approves."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.spec = SimpleNamespace(
            context=CONTEXT,
            team=Team.model_validate(
                {
                    "name": "t",
                    "roles": {
                        "planner": {"backend": "demo", "playbook": "p.toml"},
                        "implementer": {"backend": "demo", "playbook": "i.toml"},
                        "validator": {
                            "backend": "command",
                            "checks": [{"name": "t", "command": ["true"]}],
                        },
                        "reviewer": {"backend": "demo", "playbook": "r.toml"},
                    },
                }
            ),
        )
        self.checks_left_to_fail = 1

    async def turn(
        self, role: str, _c: SessionContext, attempt: int, *, failures: list[str]
    ) -> tuple[str, list[str]]:
        self.calls.append(f"turn {role} {attempt}")
        return f"{role} said", []

    async def handoff(
        self, src: str, dst: str, _m: BaseModel, *, attempt: int = 1, reason: str = ""
    ) -> None:
        self.calls.append(f"{src}>{dst} {attempt}")

    async def validate(self, attempt: int) -> tuple[bool, list[CheckOutcome]]:
        self.calls.append(f"validate {attempt}")
        if self.checks_left_to_fail:
            self.checks_left_to_fail -= 1
            return False, [
                CheckOutcome(
                    name="pytest",
                    command=("pytest",),
                    passed=False,
                    exit_code=1,
                    output="boom",
                    truncated=False,
                    duration_s=0.1,
                    timed_out=False,
                )
            ]
        return True, []

    def undone(self, _role: str) -> str | None:
        return None

    async def review(self, _c: SessionContext, attempt: int) -> ReviewVerdict:
        self.calls.append(f"review {attempt}")
        return ReviewVerdict(approved=True)


def _continue(records: list[Record], runner: _FakeRunner) -> tuple[SessionState, str]:
    progress = fold_progress(SID, records)
    return asyncio.run(Workflow(cast("SessionRunner", runner), progress).run())


def test_a_resumed_workflow_continues_at_the_checks_without_handing_over_again() -> None:
    report = ImplementationReport(summary="did it", attempt=2)
    runner = _FakeRunner()
    state, summary = _continue(
        _records(
            *_created(),
            _h("planner", "orchestrator", PLAN),
            _h("orchestrator", "implementer", _task(2), attempt=2),
            _h("implementer", "validator", report, attempt=2),
        ),
        runner,
    )
    assert runner.calls == [
        "validate 2",
        "validator>implementer 2",
        "orchestrator>implementer 3",
        "turn implementer 3",
        "implementer>validator 3",
        "validate 3",
        "implementer>reviewer 3",
        "review 3",
        "reviewer>orchestrator 3",
    ]
    assert state is SessionState.SUCCEEDED and summary == "done in 3 attempt(s)"


def test_a_resumed_workflow_acts_on_a_recorded_verdict() -> None:
    base = [*_created(), _h("planner", "orchestrator", PLAN)]
    report = ImplementationReport(summary="did it", attempt=1)
    approved = ReviewVerdict(approved=True)
    runner = _FakeRunner()
    state, _ = _continue(
        _records(
            *base, _h("implementer", "reviewer", report), _h("reviewer", "orchestrator", approved)
        ),
        runner,
    )
    assert state is SessionState.SUCCEEDED and runner.calls == []
    runner = _FakeRunner()
    state, _ = _continue(_records(*_created()), runner)
    assert runner.calls[:2] == ["turn planner 1", "planner>orchestrator 1"]


def test_each_agents_own_session_id_is_kept_for_resume() -> None:
    started = [
        AgentStarted(agent_id="planner-1", role="planner", backend="acp", acp_session_id="p-1"),
        AgentStarted(agent_id="implementer-1", role="implementer", backend="acp"),
        AgentStarted(
            agent_id="implementer-1", role="implementer", backend="acp", acp_session_id="i-2"
        ),
    ]
    progress = fold_progress(SID, _records(*_created(), *started))
    assert dict(progress.acp_sessions) == {"planner-1": "p-1", "implementer-1": "i-2"}


def test_a_session_started_in_a_worktree_resumes_in_it() -> None:
    made = WorktreeCreated(
        repo="/src/calc",
        path="/src/.quarterdeck-worktrees/calc/s-1",
        workspace="/src/.quarterdeck-worktrees/calc/s-1",
        branch="quarterdeck/s-1",
        base_branch="main",
        base_commit="c0ffee" * 6 + "c0ff",
    )
    created = SessionCreated(title="t", workspace=made.workspace, context=CONTEXT)
    progress = fold_progress(SID, _records(created, made))
    assert progress.worktree == made  # the resumed runner takes its end checkpoint too
    assert fold_progress(SID, _records(created)).worktree is None
