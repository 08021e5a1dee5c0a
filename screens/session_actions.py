"""The dashboard's keys that act on the selected session: pause or resume (an interrupted
session too), cancel, and roll back to the last known-good checkpoint.

Each asks the :class:`~agents.supervisor.actions.Desk` and says what happened in a notification; anything
that cannot be taken back is confirmed first, and a rollback shows every file it would change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work

from screens.confirm import ConfirmScreen
from sessions.lifecycle import TERMINAL_STATES, SessionState
from sessions.readmodel.views import SessionView

if TYPE_CHECKING:
    from textual.screen import Screen

    from agents.checkpoints.rollback import RollbackPlan
    from agents.supervisor.actions import Desk

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
    """Mixed into the dashboard, which provides the selection, the desk and the interrupted
    sessions."""

    desk: Desk | None
    interrupted: frozenset[str]

    def _session(self) -> SessionView | None:
        raise NotImplementedError

    def _desk(self) -> Desk | None:
        raise NotImplementedError

    @work(group="control")
    async def action_pause(self) -> None:
        """Pause the selected session between steps, resume it, or resume it after a crash."""
        session, desk = self._session(), self._desk()
        if session is None or desk is None:
            return
        from agents.supervisor.actions import (
            DeskError,  # not at import: the first paint needs no agents
        )

        short = session.session_id[:8]
        try:
            if session.session_id in self.interrupted:
                self.notify(await desk.resume_interrupted(session.session_id), title=short)
            elif session.state is SessionState.PAUSED:
                await desk.resume(session.session_id)
                self.notify("resumed", title=short)
            else:
                await desk.pause(session.session_id)
                self.notify("pausing after the current step", title=short)
        except DeskError as exc:
            self.notify(str(exc), severity="error")

    @work(group="control")
    async def action_cancel_session(self) -> None:
        """Cancel the selected session, after confirming."""
        session, desk = self._session(), self._desk()
        if session is None or desk is None:
            return
        from agents.supervisor.actions import (
            DeskError,  # not at import: the first paint needs no agents
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
            self.notify(await desk.cancel(session.session_id))
        except DeskError as exc:
            self.notify(str(exc), severity="error")

    @work(group="control")
    async def action_rollback(self) -> None:
        """Show what going back to the last known-good checkpoint changes; do it on yes."""
        session, desk = self._session(), self._desk()
        if session is None or desk is None:
            return
        from agents.supervisor.actions import (
            DeskError,  # not at import: the first paint needs no agents
        )

        try:
            plan = await desk.rollback_plan(session.session_id)
        except DeskError as exc:
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
            done = await desk.roll_back(session.session_id, plan)
        except DeskError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(
            f"{done.plan.files_restored} file(s) restored to seq {plan.target.at_seq}",
            title=session.session_id[:8],
        )
