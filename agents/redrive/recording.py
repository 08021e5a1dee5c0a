"""A session's log read as what a re-drive needs: its runs, and in each what was recorded.

A session is one *run* of its workflow, or several when its process died and ``resume``
continued it (a fork is the same: copies of its origin's run, then its own). A resumed run
starts with the orchestrator's recovery records (``interrupted``, calls whose outcome is
unknown, approvals nobody waits for) and its move from ``interrupted`` to ``running``. Each run
is re-driven by its own runner from where the log says the session stood, in the workspace the
run used. Pure: no I/O.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.orchestrator.progress import Progress, fold_progress
from agents.redrive.tape import AgentTape, TapeBuilder
from agents.redrive.team import recorded_team
from agents.team import Team
from sessions.errors import QuarterdeckError
from sessions.schema.session import SessionContext, SessionState
from sessions.store.record import Record


class RecordingError(QuarterdeckError):
    """The log cannot be re-driven (it is not a session's log)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedHandoff:
    """A ``handoff`` event: the route and the attempt, where it is in the log."""

    seq: int
    from_role: str
    to_role: str
    attempt: int

    def describe(self) -> str:
        """``implementer → validator (attempt 1)``."""
        return f"{self.from_role} → {self.to_role} (attempt {self.attempt})"


@dataclass(frozen=True, slots=True)
class RecordedEnd:
    """How a recorded run ended: its ``session.finished`` record."""

    seq: int
    outcome: SessionState


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedAnswer:
    """A human's (or the timeout's) answer to an approval request."""

    seq: int
    outcome: str
    decided_by: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class RecordedCheck:
    """One ``validation.result``: a check the validator ran, with what it said."""

    seq: int
    payload: dict[str, Any]


@dataclass(slots=True, kw_only=True)
class Segment:
    """One run of the workflow, as recorded."""

    index: int
    workspace: Path
    context: SessionContext
    start: Progress | None
    """Where the log says the session stood when this run began (None: a new session)."""
    complete: bool
    """The run reached its own end (``session.finished``, not by a cancel); otherwise the log
    stops inside it — its process died, or a human cancelled it mid-step."""
    end: RecordedEnd | None
    """How the run ended, when the log holds its end."""
    first_seq: int
    last_seq: int
    tapes: dict[str, AgentTape]
    handoffs: deque[RecordedHandoff]
    checks: dict[int, deque[list[RecordedCheck]]]
    answers: dict[tuple[str, str], deque[RecordedAnswer]]

    def take_answer(self, agent_id: str, call_id: str) -> RecordedAnswer | None:
        """The recorded answer to this agent's approval request for ``call_id``, if any."""
        queue = self.answers.get((agent_id, call_id))
        return queue.popleft() if queue else None

    def has_answer(self, agent_id: str, call_id: str) -> bool:
        """Whether an answer for ``call_id`` is still unused."""
        return bool(self.answers.get((agent_id, call_id)))

    def take_checks(self, attempt: int) -> list[RecordedCheck] | None:
        """The checks the validator ran for ``attempt``, in order, if it ran them here."""
        runs = self.checks.get(attempt)
        return runs.popleft() if runs else None

    def tape(self, agent_id: str) -> AgentTape:
        """The agent's tape (an empty one if the agent never spoke in this run)."""
        return self.tapes.setdefault(agent_id, AgentTape(agent_id))


@dataclass(frozen=True, slots=True, kw_only=True)
class Recording:
    """A session's log, cut into its runs."""

    session_id: str
    title: str
    team: Team
    segments: tuple[Segment, ...]


@dataclass(slots=True, kw_only=True)
class _Fold:
    """The per-run state built while reading one run's records."""

    tapes: TapeBuilder = field(default_factory=TapeBuilder)
    handoffs: deque[RecordedHandoff] = field(default_factory=deque)
    checks: dict[int, deque[list[RecordedCheck]]] = field(default_factory=dict)
    answers: dict[tuple[str, str], deque[RecordedAnswer]] = field(default_factory=dict)
    asked: dict[str, tuple[str, str]] = field(default_factory=dict)
    end: RecordedEnd | None = None
    last_attempt: int | None = None

    def add(self, record: Record) -> None:
        self.tapes.add(record)
        kind, payload = record.kind, record.payload
        if kind != "validation.result":
            self.last_attempt = None
        if kind == "handoff":
            self.handoffs.append(
                RecordedHandoff(
                    seq=record.seq,
                    from_role=str(payload["from_role"]),
                    to_role=str(payload["to_role"]),
                    attempt=int(payload.get("attempt", 1)),
                )
            )
        elif kind == "validation.result":
            attempt = int(payload.get("attempt", 1))
            runs = self.checks.setdefault(attempt, deque())
            if self.last_attempt != attempt or not runs:  # consecutive results: one run
                runs.append([])
            runs[-1].append(RecordedCheck(record.seq, payload))
            self.last_attempt = attempt
        elif kind == "approval.requested":
            key = (str(payload.get("agent_id", "")), str(payload.get("call_id", "")))
            self.asked[str(payload["approval_id"])] = key
        elif kind == "approval.resolved" and (
            resolved := self.asked.pop(payload["approval_id"], None)
        ):
            key = resolved
            answer = RecordedAnswer(
                seq=record.seq,
                outcome=str(payload["outcome"]),
                decided_by=payload.get("decided_by"),
                reason=str(payload.get("reason", "")),
            )
            self.answers.setdefault(key, deque()).append(answer)
        elif kind == "session.finished":
            self.end = RecordedEnd(record.seq, SessionState(payload["outcome"]))


def _recovery(record: Record) -> bool:
    """A record a resuming (or cancelling) process writes for the run that died."""
    if record.actor != "orchestrator":
        return False
    if record.kind == "session.state_changed":
        return bool(record.payload.get("to_state") == "interrupted")
    return record.kind in ("tool.result", "approval.resolved")


def _leaves_interrupted(record: Record) -> bool:
    return (
        record.kind == "session.state_changed" and record.payload.get("from_state") == "interrupted"
    )


def split_runs(records: Sequence[Record]) -> list[tuple[int, int, bool]]:
    """``(start, end, is_run)`` index ranges of ``records``: each run, and the recovery
    bookkeeping of a dead run that was cancelled rather than resumed (``is_run`` False)."""
    bounds = [0]
    for index, record in enumerate(records):
        if _leaves_interrupted(record):
            start = index
            while start - 1 > bounds[-1] and _recovery(records[start - 1]):
                start -= 1
            if start > bounds[-1]:
                bounds.append(start)
    ranges: list[tuple[int, int, bool]] = []
    for i, start in enumerate(bounds):
        end = bounds[i + 1] if i + 1 < len(bounds) else len(records)
        resumed = any(
            _leaves_interrupted(r) and r.payload.get("to_state") == "running"
            for r in records[start:end]
        )
        ranges.append((start, end, i == 0 or resumed))
    return ranges


def read_recording(records: Sequence[Record], workspaces: Sequence[tuple[int, str]]) -> Recording:
    """Cut one session's ``records`` into runs. ``workspaces`` gives, in ``seq`` order, the
    workspace in force from a ``seq`` on: a fork's copied runs happened in its origin's."""
    if not records or records[0].kind != "session.created":
        raise RecordingError("the log does not start with session.created: nothing to re-drive")
    header = records[0]
    created = header.payload
    context = SessionContext.model_validate(created.get("context") or {"task": ""})
    segments: list[Segment] = []
    for start, end, is_run in split_runs(records):
        part = records[start:end]
        if not is_run or not part:
            continue
        fold = _Fold()
        for record in part:
            fold.add(record)
        progress = fold_progress(header.session_id, records[:start]) if start else None
        first = part[1] if start == 0 and len(part) > 1 else part[0]
        segments.append(
            Segment(
                index=len(segments),
                workspace=Path(_workspace_at(first.seq, workspaces, created)),
                context=(progress.context if progress and progress.context else context),
                start=progress,
                complete=fold.end is not None and fold.end.outcome is not SessionState.CANCELLED,
                end=fold.end,
                first_seq=part[0].seq,
                last_seq=part[-1].seq,
                tapes=fold.tapes.tapes,
                handoffs=fold.handoffs,
                checks=fold.checks,
                answers=fold.answers,
            )
        )
    return Recording(
        session_id=header.session_id,
        title=str(created.get("title", "")),
        team=recorded_team(records, str(created.get("team") or "team")),
        segments=tuple(segments),
    )


def _workspace_at(seq: int, workspaces: Sequence[tuple[int, str]], created: Any) -> str:
    found = str(created.get("workspace") or ".")
    for first, workspace in workspaces:
        if first <= seq:
            found = workspace
    return found
