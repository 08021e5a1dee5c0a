"""The supervisor's review of a session's changes: the diff, then "request changes" or "accept".

Where a request for changes goes depends on where the session is:

- **waiting on a human review** (its reviewer is ``human`` and asked): the review is answered
  — denied with the comments as its reason, which the workflow hands to the implementer's next
  attempt, or approved;
- **ended**: its agents are gone and its outcome is recorded, so nothing can reopen it. A
  request for changes starts a *follow-up* session here: the same task, team and workspace,
  and the comments as the feedback every agent of it reads (docs/decisions.md, "Review");
  an acceptance is recorded;
- **still working** (or paused, or interrupted) with no review asked: refused, saying when it
  can be done — the comments stay in the screen's draft.

Either answer is recorded: ``review.comments`` or ``review.accepted`` in the reviewed session.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agents.approvals.broker import Outcome
from agents.orchestrator.progress import Progress, fold_progress
from agents.review.changes import BaseKind, ReviewBase, ReviewError, SessionChanges
from agents.review.changes import session_changes as _session_changes
from agents.review.feedback import feedback_text
from sessions.schema.review import ChangesRequested, HunkComment, ReviewAccepted
from sessions.schema.session import SessionState
from sessions.store.approval_rows import pending_approvals
from sessions.store.reading import load_session
from sessions.store.redaction import Redactor

if TYPE_CHECKING:
    from agents.auth.holder import PolicyHolder
    from agents.orchestrator.core import Orchestrator
    from agents.supervisor.actions import Answered
    from agents.supervisor.recovery import TeamResolver
    from agents.team import Team
    from sessions.store.event_store import EventStore


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewSituation:
    """Where the reviewed session is, as far as a review's answer goes."""

    session_id: str
    state: SessionState
    ended: bool
    waiting: str | None = None
    """The approval id of the human review the session waits on, if it does."""
    progress: Progress | None = None

    def describe(self) -> str:
        """What request changes and accept do now, in a few words."""
        if self.waiting is not None:
            return "waiting on your review"
        if self.ended:
            return f"{self.state} · request changes starts a follow-up session"
        return f"{self.state} · no review asked yet"


def is_human_review(agent_id: str, role: str) -> bool:
    """Whether an approval is a human reviewer's verdict (asked by "reviewer" itself: agents
    are ``<role>-<n>``)."""
    return agent_id == role == "reviewer"


class ReviewActions:
    """Mixed into :class:`~agents.supervisor.actions.Supervisor`."""

    store: EventStore
    orchestrator: Orchestrator | None
    holder: PolicyHolder | None
    user: str
    resolve_team: TeamResolver | None

    def _checkpoints_root(self) -> Path:
        raise NotImplementedError

    async def answer(self, approval_id: str, outcome: Outcome, *, reason: str = "") -> Answered:
        raise NotImplementedError

    def session_changes(self, session_id: str, base: BaseKind) -> SessionChanges:
        """The session's workspace against its first or last known-good checkpoint
        (blocking: git and the database; call it on a thread)."""
        root = self._checkpoints_root()
        self.store.flush()  # the checkpoints just recorded too
        records = load_session(self.store.engine, session_id)
        redactor = self.store.redactor  # the runtime's knows the keyring's values
        scan = redactor.find_credential if isinstance(redactor, Redactor) else None
        return _session_changes(root, session_id, records, kind=base, scan=scan)

    def review_situation(self, session_id: str) -> ReviewSituation:
        """Whether the session waits on a human review, has ended, or neither (blocking)."""
        waiting = next(
            (
                a.approval_id
                for a in pending_approvals(self.store.engine)
                if a.session_id == session_id and is_human_review(a.agent_id, a.role)
            ),
            None,
        )
        progress = fold_progress(session_id, load_session(self.store.engine, session_id))
        return ReviewSituation(
            session_id=session_id,
            state=progress.state,
            ended=progress.finished,
            waiting=waiting,
            progress=progress,
        )

    async def request_changes(
        self,
        session_id: str,
        comments: Sequence[HunkComment],
        *,
        summary: str,
        base: ReviewBase,
    ) -> str:
        """Send the comments to the implementer (module docstring); returns what happened,
        in words. ``ReviewError`` says why not (nothing is recorded then)."""
        summary = summary.strip()
        if not comments and not summary:
            raise ReviewError("nothing to send: comment on a hunk (c) or write an overall comment")
        situation = await asyncio.to_thread(self.review_situation, session_id)
        text = feedback_text(comments, summary=summary, by=self.user)
        short = session_id[:8]
        event = ChangesRequested(
            comments=list(comments),
            summary=summary,
            by=self.user,
            base=base.kind,
            base_checkpoint_id=base.checkpoint_id,
        )
        if situation.waiting is not None:
            await self.answer(situation.waiting, Outcome.DENIED, reason=text)
            await self._record(
                session_id, event.model_copy(update={"approval_id": situation.waiting})
            )
            return "changes requested: the implementer's next attempt gets the comments"
        if not situation.ended:
            raise ReviewError(_not_yet(short, situation.state))
        follow_up = await self._follow_up(situation, text)
        await self._record(session_id, event.model_copy(update={"follow_up_session_id": follow_up}))
        return (
            f"session {short} had ended: follow-up session {follow_up[:8]} makes the changes"
            " (its agents get the comments)"
        )

    async def accept_review(
        self,
        session_id: str,
        comments: Sequence[HunkComment] = (),
        *,
        summary: str,
        base: ReviewBase,
    ) -> str:
        """Accept the session's changes: answer its human review, or record the acceptance of
        an ended session; returns what happened, in words (``ReviewError``: why not)."""
        situation = await asyncio.to_thread(self.review_situation, session_id)
        event = ReviewAccepted(
            comments=list(comments),
            summary=summary.strip(),
            by=self.user,
            base=base.kind,
            base_checkpoint_id=base.checkpoint_id,
        )
        if situation.waiting is not None:
            reason = summary.strip() or "accepted in review"
            await self.answer(situation.waiting, Outcome.APPROVED_ONCE, reason=reason)
            await self._record(
                session_id, event.model_copy(update={"approval_id": situation.waiting})
            )
            return "accepted: the review is answered"
        if not situation.ended:
            raise ReviewError(_not_yet(session_id[:8], situation.state))
        await self._record(session_id, event)
        return "accepted"

    async def _record(self, session_id: str, event: ChangesRequested | ReviewAccepted) -> None:
        await self.store.append_durable(session_id, f"human:{self.user}", event)

    async def _follow_up(self, situation: ReviewSituation, feedback: str) -> str:
        """Start the follow-up of an ended session here; its id."""
        progress, short = situation.progress, situation.session_id[:8]
        o = self.orchestrator
        if o is None or progress is None:
            raise ReviewError(f"session {short} has ended and this console cannot run sessions")
        context = progress.context
        if context is None:
            raise ReviewError(f"session {short} was not started by `run`: it has no task to redo")
        if self.holder is None or self.holder.current is None:
            raise ReviewError("no valid policy is in force: fix it before starting a session")
        workspace = Path(progress.workspace or "")
        if not progress.workspace or not workspace.is_dir():
            raise ReviewError(f"session {short}: its workspace {workspace} no longer exists")
        team = await self._team_of(progress)
        return o.start(
            context.task,
            team,
            workspace,
            title=f"Changes to: {progress.title.removeprefix('Changes to: ')}"[:80],
            constraints=context.constraints,
            success_criteria=context.success_criteria,
            feedback=[feedback],
        )

    async def _team_of(self, progress: Progress) -> Team:
        o = self.orchestrator
        runner = o.runners.get(progress.session_id) if o is not None else None
        if runner is not None:  # it ran here: the very team it ran with
            return runner.spec.team
        resolve = self.resolve_team
        team = await asyncio.to_thread(resolve, progress) if resolve is not None else None
        if team is None:
            raise ReviewError(
                f"session {progress.session_id[:8]} ran team {progress.team!r}, which this"
                " console does not know: start the changes with n and that team file"
            )
        return team


def _not_yet(short: str, state: SessionState) -> str:
    return (
        f"session {short} is {state} and asks for no review now: request changes or accept"
        " when it waits on a human review or after it ends (m writes to its agent now)"
    )
