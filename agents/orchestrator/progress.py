"""Where a session stopped, folded from its log: what resume continues from.

The workflow (:class:`~agents.orchestrator.workflow.Workflow`) records a handoff at every step, so the last
handoff says which step comes next: planner → orchestrator means the first attempt starts;
orchestrator → implementer means the implementer's turn of that attempt; implementer →
validator, the checks; validator → implementer, the next attempt; implementer → reviewer, the
review; reviewer → orchestrator, the verdict. Tool intents without a result are the calls whose
outcome a crash made unknown. Each agent's own session id (``agent.started``) is what a resume
asks the agent to reload. Pure: no I/O, so it is tested on hand-built records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from sessions.readmodel.context import session_context
from sessions.schema.session import TERMINAL_STATES, SessionContext, SessionState
from sessions.schema.worktree import WorktreeCreated
from sessions.store.record import Record


class Step(StrEnum):
    """The next step of the workflow: where a resumed session continues."""

    PREPARE = "prepare"  # researcher and planner (those not handed over yet)
    ATTEMPT = "attempt"  # a new attempt: orchestrator → implementer first
    IMPLEMENT = "implement"  # the implementer's turn; its task was already handed over
    VALIDATE = "validate"
    REVIEW = "review"
    VERDICT = "verdict"  # the reviewer's verdict is recorded; decide on it


# The step after each handoff, by (from_role, to_role).
_NEXT = {
    ("researcher", "planner"): Step.PREPARE,
    ("planner", "orchestrator"): Step.ATTEMPT,
    ("orchestrator", "implementer"): Step.IMPLEMENT,
    ("implementer", "validator"): Step.VALIDATE,
    ("validator", "implementer"): Step.ATTEMPT,
    ("implementer", "reviewer"): Step.REVIEW,
    ("reviewer", "orchestrator"): Step.VERDICT,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class DanglingIntent:
    """A ``tool.intent`` with no ``tool.result``: it may or may not have happened."""

    call_id: str
    idempotency_key: str
    actor: str
    action: str
    summary: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Progress:
    """A session's position, as its log tells it."""

    session_id: str
    state: SessionState
    finished: bool
    title: str = ""
    workspace: str | None = None
    team: str | None = None
    context: SessionContext | None = None
    step: Step = Step.PREPARE
    attempt: int = 1
    approved: bool = False  # the last recorded review verdict (meaningful at Step.VERDICT)
    report: str = ""  # the implementer's last summary, handed on to validator and reviewer
    handed_over: frozenset[tuple[str, str]] = frozenset()
    failures: tuple[str, ...] = ()
    dangling: tuple[DanglingIntent, ...] = ()
    open_approvals: tuple[str, ...] = ()
    last_handoff: tuple[str, str] | None = None
    acp_sessions: Mapping[str, str] = field(default_factory=dict)
    """Each agent's own ACP session id, by agent id (the last one it started with)."""
    costs: Mapping[tuple[str, str, str], float] = field(default_factory=dict)
    """The running cost of each (agent, ACP session, currency) so far (``agent.usage``)."""
    budget_limit: float | None = None
    """What a person last raised the budget to (``budget.raised``); None: never raised."""
    worktree: WorktreeCreated | None = None
    """The git worktree it works in, if it was started in one."""

    @property
    def resumable(self) -> bool:
        """Whether resume can continue it: created by a run, and not finished."""
        return not self.finished and self.context is not None


def _summary(payload: dict[str, object]) -> str:
    argv = payload.get("argv")
    if isinstance(argv, list):
        return " ".join(str(a) for a in argv)
    return f"{payload.get('action', '?')} {payload.get('path') or ''}".strip()


def fold_progress(session_id: str, records: Iterable[Record]) -> Progress:
    """Fold ``records`` (one session's, in order) into where the session stopped."""
    kept: list[Record] = []
    state, finished = SessionState.CREATED, False
    created: dict[str, object] = {}
    step, attempt, approved, report = Step.PREPARE, 1, False, ""
    handed: set[tuple[str, str]] = set()
    failures: list[str] = []
    intents: dict[str, DanglingIntent] = {}
    approvals: dict[str, None] = {}
    last: tuple[str, str] | None = None
    acp_sessions: dict[str, str] = {}
    costs: dict[tuple[str, str, str], float] = {}
    budget_limit: float | None = None
    worktree: WorktreeCreated | None = None
    for record in records:
        kept.append(record)
        kind, payload = record.kind, record.payload
        if kind == "session.created":
            created = payload
        elif kind == "session.state_changed":
            state = SessionState(payload["to_state"])
        elif kind == "session.finished":
            state, finished = SessionState(payload["outcome"]), True
        elif kind == "agent.started" and payload.get("acp_session_id"):
            acp_sessions[str(payload["agent_id"])] = str(payload["acp_session_id"])
        elif kind == "agent.usage" and payload.get("cost") is not None and payload.get("currency"):
            run = (str(payload["agent_id"]), str(payload.get("acp_session_id") or ""))
            costs[(*run, str(payload["currency"]))] = float(payload["cost"])
        elif kind == "budget.raised":
            budget_limit = float(payload["limit"])
        elif kind == "worktree.created":
            worktree = WorktreeCreated.model_validate(payload)
        elif kind == "tool.intent":
            intents[payload["idempotency_key"]] = DanglingIntent(
                call_id=payload["call_id"],
                idempotency_key=payload["idempotency_key"],
                actor=record.actor,
                action=payload.get("action", "?"),
                summary=_summary(payload),
            )
        elif kind == "tool.result" and payload.get("idempotency_key"):
            intents.pop(payload["idempotency_key"], None)
        elif kind == "approval.requested":
            approvals[payload["approval_id"]] = None
        elif kind == "approval.resolved":
            approvals.pop(payload["approval_id"], None)
        elif kind == "handoff":
            route = (str(payload["from_role"]), str(payload["to_role"]))
            content = payload.get("content") or {}
            last = route
            handed.add(route)
            attempt = int(payload.get("attempt", 1))
            step = _NEXT.get(route, step)
            if route[0] == "implementer":
                report = str(content.get("summary", ""))
            elif route == ("validator", "implementer"):
                failures.append(str(content.get("output", "")))
                attempt += 1
            elif route == ("reviewer", "orchestrator"):
                approved = bool(content.get("approved"))
                if not approved:
                    failures.append(f"review: {content.get('comments', '')}")
    if finished or state in TERMINAL_STATES:
        finished = True
    context = session_context(kept)
    workspace = created.get("workspace")
    team = created.get("team")
    return Progress(
        session_id=session_id,
        state=state,
        finished=finished,
        title=str(created.get("title", "")),
        workspace=str(workspace) if workspace else None,
        team=str(team) if team else None,
        context=context,
        step=step,
        attempt=attempt,
        approved=approved,
        report=report,
        handed_over=frozenset(handed),
        failures=tuple(failures),
        dangling=tuple(intents.values()),
        open_approvals=tuple(approvals),
        last_handoff=last,
        acp_sessions=acp_sessions,
        costs=costs,
        budget_limit=budget_limit,
        worktree=worktree,
    )


def describe_progress(progress: Progress) -> str:
    """One line for the user: where the session stopped."""
    where = {
        Step.PREPARE: "before the plan",
        Step.ATTEMPT: f"at the start of attempt {progress.attempt}",
        Step.IMPLEMENT: f"in the implementer's turn (attempt {progress.attempt})",
        Step.VALIDATE: f"in validation (attempt {progress.attempt})",
        Step.REVIEW: f"in review (attempt {progress.attempt})",
        Step.VERDICT: f"after the review verdict (attempt {progress.attempt})",
    }[progress.step]
    unknown = len(progress.dangling)
    tail = f"; {unknown} tool call(s) with an unknown outcome" if unknown else ""
    return f"{progress.state}, stopped {where}{tail}"
