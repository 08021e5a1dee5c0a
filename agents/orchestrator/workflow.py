"""The order of a session's steps, from the start or from where a crashed run stopped.

Researcher and planner prepare; the implementer works; the validator's checks and the
reviewer's verdict send the work back, with what failed, up to ``max_attempts``. Each step is
recorded as a handoff, which is what lets :mod:`agents.orchestrator.progress` tell a resumed
session where to continue: a step whose handoff is already in the log is not handed over again.

An ending is honest: when the implementer's last turn did not do its work (it was cancelled, or
every action it asked for was refused; :func:`~agents.orchestrator.turns.unfinished`), only a
validator that passes afterwards can make the session a success. A team without a validator
ends ``failed`` there and then, saying why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from agents.orchestrator.progress import Progress, Step
from agents.roles.handoffs import (
    PlanHandoff,
    ResearchNotes,
    TaskHandoff,
    ValidationFailure,
)
from agents.roles.implementer import report_of
from agents.roles.planner import plan_from_reply
from sessions.errors import QuarterdeckError
from sessions.schema.session import SessionContext, SessionState

if TYPE_CHECKING:
    from agents.orchestrator.session import SessionRunner


class WorkNotDoneError(QuarterdeckError):
    """The implementer's last turn did not do its work, and no validator can say otherwise."""


@dataclass
class Workflow:
    """One run of a team's workflow for a runner, optionally continuing ``start``."""

    runner: SessionRunner
    start: Progress | None = None
    failures: list[str] = field(default_factory=list)

    async def run(self) -> tuple[SessionState, str]:
        """Play the steps left; returns the outcome and a summary."""
        start, runner = self.start, self.runner
        context = runner.spec.context
        step, attempt = Step.PREPARE, 1
        if start is not None:
            context = start.context or context
            step, attempt, self.failures = start.step, start.attempt, list(start.failures)
        if step is Step.PREPARE:
            done = start.handed_over if start is not None else frozenset()
            context = await self._prepare(context, done)
            step = Step.ATTEMPT
        if step is Step.VERDICT:  # the verdict is in the log; only acting on it is left
            assert start is not None
            if start.approved:
                return SessionState.SUCCEEDED, f"done in {attempt} attempt(s)"
            step, attempt = Step.ATTEMPT, attempt + 1
        report = start.report if start is not None else ""
        maximum = runner.spec.team.workflow.max_attempts
        for number in range(attempt, maximum + 1):
            if await self._attempt(context, number, step, summary=report):
                return SessionState.SUCCEEDED, f"done in {number} attempt(s)"
            step, report = Step.ATTEMPT, ""
        undone = runner.undone("implementer")
        return SessionState.FAILED, f"no success after {maximum} attempts" + (
            f" ({undone})" if undone else ""
        )

    def _roles(self) -> tuple[list[str], list[str]]:
        steps = self.runner.spec.team.steps()
        at = steps.index("implementer")
        return steps[:at], steps[at + 1 :]

    async def _prepare(
        self, context: SessionContext, done: frozenset[tuple[str, str]]
    ) -> SessionContext:
        runner, (before, _after) = self.runner, self._roles()
        if "researcher" in before and ("researcher", "planner") not in done:
            text, _plan = await runner.turn("researcher", context, 1, failures=[])
            await runner.handoff("researcher", "planner", ResearchNotes(notes=text))
            context = context.model_copy(update={"references": [*context.references, text]})
        if "planner" in before and ("planner", "orchestrator") not in done:
            text, plan = await runner.turn("planner", context, 1, failures=[])
            plan = plan_from_reply(text, plan)
            handoff = PlanHandoff(
                plan=plan,
                constraints=context.constraints,
                success_criteria=context.success_criteria,
            )
            await runner.handoff("planner", "orchestrator", handoff)
            context = context.model_copy(update={"plan": plan})
        return context

    async def _attempt(
        self, context: SessionContext, attempt: int, step: Step, *, summary: str
    ) -> bool:
        """One attempt from ``step`` on; True when it succeeded, False to try again."""
        runner, failures, (_before, after) = self.runner, self.failures, self._roles()
        if step is Step.ATTEMPT:
            task = TaskHandoff(
                task=context.task, context=context, attempt=attempt, failures=failures
            )
            await runner.handoff("orchestrator", "implementer", task, attempt=attempt)
        if step in (Step.ATTEMPT, Step.IMPLEMENT):
            summary, _ = await runner.turn("implementer", context, attempt, failures=failures)
            if "validator" not in after and (undone := runner.undone("implementer")):
                raise WorkNotDoneError(f"{undone}; no validator checked it (attempt {attempt})")
        report = report_of(summary, attempt)
        if "validator" in after and step is not Step.REVIEW:
            if step is not Step.VALIDATE:
                await runner.handoff("implementer", "validator", report, attempt=attempt)
            if not await self._checks(attempt):
                return False
        if "reviewer" in after:
            if step is not Step.REVIEW:
                await runner.handoff("implementer", "reviewer", report, attempt=attempt)
            verdict = await runner.review(context, attempt)
            await runner.handoff("reviewer", "orchestrator", verdict, attempt=attempt)
            if not verdict.approved:
                failures.append(f"review: {verdict.comments}")
                return False
        return True

    async def _checks(self, attempt: int) -> bool:
        passed, outcomes = await self.runner.validate(attempt)
        if passed:
            return True
        failed = [o for o in outcomes if not o.passed]
        output = "\n".join(f"[{o.name}] {o.output[-2000:]}" for o in failed)
        self.failures.append(output)
        back = ValidationFailure(checks=[o.name for o in failed], output=output, attempt=attempt)
        await self.runner.handoff(
            "validator", "implementer", back, attempt=attempt, reason="validation failed"
        )
        return False
