"""The dashboard's keys that start a session or act on the selected one: a new session, pause
or resume (an interrupted session too), cancel, stop an agent's turn, talk to its agent, roll
back to the last known-good checkpoint, review its changes, and end its git worktree.

Each asks the :class:`~agents.supervisor.actions.Supervisor` and says what happened in a notification; anything
that cannot be taken back is confirmed first, and a rollback shows every file it would change.
The supervisor's async methods do their reads on threads; an unexpected failure is told by the
dashboard's worker-error handler (:mod:`screens.worker_errors`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import work

from screens.confirm import ConfirmScreen
from sessions.lifecycle import TERMINAL_STATES, SessionState
from sessions.readmodel.views import SessionView

if TYPE_CHECKING:
    from textual.screen import Screen

    from agents.checkpoints.rollback import RollbackPlan
    from agents.supervisor.actions import Supervisor
    from screens.review_state import ReviewDraft

    _Base = Screen[None]
else:
    _Base = object

PLAN_LINES = 18
"""At most this many changed paths in the rollback confirmation (then a count of the rest)."""


def rollback_text(session: SessionView, plan: RollbackPlan) -> str:
    """The rollback confirmation: the checkpoint, every change (bounded), the way back."""
    target = plan.target
    good = "the last known-good state" if target.known_good else "a checkpoint"
    lines = plan.lines()
    shown = lines[:PLAN_LINES]
    if len(lines) > PLAN_LINES:
        shown.append(f"… and {len(lines) - PLAN_LINES} more")
    return "\n".join(
        [
            f"{session.title or session.session_id[:8]}",
            "",
            f"Back to checkpoint {target.checkpoint_id[:12]} at seq {target.at_seq}, {good}"
            f" ({target.label}). M restored, A recreated, D deleted, K kept:",
            "",
            *shown,
            "",
            "A safety checkpoint of the files as they are now is taken first: "
            f"`quarterdeck rollback {session.session_id[:8]} --undo` brings them back.",
        ]
    )


class SessionActions(_Base):
    """Mixed into the dashboard, which provides the selection, the supervisor and the interrupted
    sessions."""

    supervisor: Supervisor | None
    interrupted: frozenset[str]
    opened: bool
    select_when_shown: str | None
    keymap: dict[str, str]
    review_drafts: dict[str, ReviewDraft]

    def refresh_view(self, *, force: bool = False) -> None:
        raise NotImplementedError

    def _session(self) -> SessionView | None:
        raise NotImplementedError

    def _supervisor(self) -> Supervisor | None:
        raise NotImplementedError

    @work(group="new-session", exit_on_error=False, name="starting a session")
    async def action_new_session(self) -> None:
        """The new-session form; the session it starts runs here and is selected."""
        supervisor = self.supervisor
        if supervisor is None or not supervisor.can_start:
            read_only = self.opened or supervisor is not None
            self.notify(
                "This console is read-only: it cannot start sessions."
                if read_only
                else "The console is still starting.",
                severity="warning",
            )
            return
        from screens.new_session import NewSessionScreen  # its widgets: not for the first paint

        form = NewSessionScreen(
            supervisor, workspace=Path.cwd(), policy=str(supervisor.policy_path)
        )
        session_id = await self.app.push_screen_wait(form)
        if session_id is None:
            return
        self.notify(f"started session {session_id[:8]}", title="New session", timeout=3)
        self.select_when_shown = session_id
        self.refresh_view()  # selects it now if the bridge already brought it

    @work(group="control", exit_on_error=False, name="pausing or resuming a session")
    async def action_pause(self) -> None:
        """Pause the selected session between steps, resume it, or resume it after a crash."""
        session, supervisor = self._session(), self._supervisor()
        if session is None or supervisor is None:
            return
        from agents.supervisor.actions import (
            SupervisorError,  # not at import: the first paint needs no agents
        )

        short = session.session_id[:8]
        try:
            if session.session_id in self.interrupted:
                self.notify(await supervisor.resume_interrupted(session.session_id), title=short)
            elif session.state is SessionState.PAUSED:
                await supervisor.resume(session.session_id)
                self.notify("resumed", title=short)
            else:
                await supervisor.pause(session.session_id)
                self.notify("pausing after the current step", title=short)
        except SupervisorError as exc:
            self.notify(str(exc), severity="error")

    @work(group="control", exit_on_error=False, name="cancelling a session")
    async def action_cancel_session(self) -> None:
        """Cancel the selected session, after confirming."""
        session, supervisor = self._session(), self._supervisor()
        if session is None or supervisor is None:
            return
        from agents.supervisor.actions import (
            SupervisorError,  # not at import: the first paint needs no agents
        )

        if session.state in TERMINAL_STATES:
            self.notify(f"The session already ended ({session.state}).", severity="warning")
            return
        body = (
            f"{session.title}\n\nIts agents are stopped and its pending approvals are"
            " cancelled. This cannot be undone."
        )
        if not await self.app.push_screen_wait(ConfirmScreen("Cancel this session?", body)):
            return
        try:
            self.notify(await supervisor.cancel(session.session_id))
        except SupervisorError as exc:
            self.notify(str(exc), severity="error")

    @work(group="control", exit_on_error=False, name="stopping an agent's turn")
    async def action_stop_turn(self) -> None:
        """End the running turn of the selected session's agent; the session goes on."""
        session, supervisor = self._session(), self._supervisor()
        if session is None or supervisor is None:
            return
        from agents.supervisor.actions import (
            SupervisorError,  # not at import: the first paint needs no agents
        )

        try:
            self.notify(await supervisor.stop_turn(session.session_id))
        except SupervisorError as exc:
            self.notify(str(exc), severity="error")

    @work(group="talk", exit_on_error=False, name="sending a message to an agent")
    async def action_message(self) -> None:
        """Write to the selected session's agent: the one in a turn, else the one that ran
        last. It hears it when its turn ends, or with its next prompt (ACP cannot steer)."""
        session, supervisor = self._session(), self._supervisor()
        if session is None or supervisor is None:
            return
        from agents.supervisor.actions import (
            SupervisorError,  # not at import: the first paint needs no agents
        )
        from screens.message import MessageScreen

        try:
            role = supervisor.message_target(session.session_id)
        except SupervisorError as exc:
            self.notify(str(exc), severity="error")
            return
        note = (
            "An agent in a turn hears this when the turn ends (it cannot be interrupted);"
            " between turns, with its next prompt."
        )
        screen = MessageScreen(f"Message to the {role}", note, placeholder="what to tell it")
        text = await self.app.push_screen_wait(screen)
        if text is None:
            return
        try:
            said = await supervisor.send_message(session.session_id, text, role)
        except SupervisorError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(said, title=session.session_id[:8])

    @work(group="control", exit_on_error=False, name="rolling back a session")
    async def action_rollback(self) -> None:
        """Show what going back to the last known-good checkpoint changes; do it on yes."""
        session, supervisor = self._session(), self._supervisor()
        if session is None or supervisor is None:
            return
        from agents.supervisor.actions import (
            SupervisorError,  # not at import: the first paint needs no agents
        )

        try:
            plan = await supervisor.rollback_plan(session.session_id)
        except SupervisorError as exc:
            self.notify(str(exc), severity="error")
            return
        if not plan.lines():
            self.notify("The workspace already matches the last known-good checkpoint.")
            return
        question = ConfirmScreen(
            "Roll back this session?", rollback_text(session, plan), yes="Roll back"
        )
        if not await self.app.push_screen_wait(question):
            return
        try:
            done = await supervisor.roll_back(session.session_id, plan)
        except SupervisorError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(
            f"{done.plan.files_restored} file(s) restored to seq {plan.target.at_seq}",
            title=session.session_id[:8],
        )

    @work(group="review", exit_on_error=False, name="reviewing a session's changes")
    async def action_review(self) -> None:
        """The selected session's changes against its first (or last known-good) checkpoint:
        comment on hunks, then request changes or accept."""
        session, supervisor = self._session(), self._supervisor()
        if session is None or supervisor is None:
            return
        from screens.review import ReviewScreen  # Pygments and the diff: not for the first paint
        from screens.review_source import SupervisedReview
        from screens.review_state import ReviewDraft

        draft = self.review_drafts.setdefault(session.session_id, ReviewDraft())
        screen = ReviewScreen(
            SupervisedReview(supervisor, session.session_id),
            draft,
            session_id=session.session_id,
            title=session.title,
            keymap=self.keymap,
        )
        verdict = await self.app.push_screen_wait(screen)
        if not draft.comments and not draft.summary:
            self.review_drafts.pop(session.session_id, None)
        if verdict == "accepted":
            await self._end_worktree(session, supervisor, asked=False)

    @work(group="worktree", exit_on_error=False, name="ending a session's worktree")
    async def action_worktree(self) -> None:
        """Merge, keep or discard the selected session's git worktree, once the session ended."""
        session, supervisor = self._session(), self._supervisor()
        if session is None or supervisor is None:
            return
        await self._end_worktree(session, supervisor, asked=True)

    async def _end_worktree(
        self, session: SessionView, supervisor: Supervisor, *, asked: bool
    ) -> None:
        """Offer merge / keep / discard of an ended session's worktree. ``asked``: the user
        pressed the key, so say why there is nothing to offer; after a review's accept, a
        session without a worktree (or not ended yet) just goes on."""
        status = await supervisor.worktree_of(session.session_id)
        if status is None:
            if asked:
                self.notify("This session works in place: it has no worktree.", severity="warning")
            return
        if status.recorded.removed:
            if asked:
                self.notify(f"Its worktree was already {status.state}.", severity="warning")
            return
        if session.state not in TERMINAL_STATES:
            if not asked:
                self.notify("Accepted. Its worktree can be merged (W) once the session ends.")
                return
            self.notify(
                f"The session is {session.state}: its worktree is ended once it has ended.",
                severity="warning",
            )
            return
        from screens.worktree_end import WorktreeEndScreen  # not for the first paint

        ask = WorktreeEndScreen(supervisor, status, title=session.title)
        outcome = await self.app.push_screen_wait(ask)
        if outcome is not None:
            self.notify(outcome.message, title=session.session_id[:8], markup=False)
