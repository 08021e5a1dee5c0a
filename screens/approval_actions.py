"""The dashboard's approval keys: answer the highlighted approval (an "always" or "never"
shows its rule first; denying a human review asks for the changes wanted), and its details.

The supervisor's calls that read or write run on threads; what went wrong is told in a
notification.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import work

from screens.confirm import ConfirmScreen
from sessions.readmodel.console_model import ConsoleModel
from sessions.readmodel.views import PendingApprovalView

if TYPE_CHECKING:
    from textual.screen import Screen

    from agents.approvals.broker import Outcome
    from agents.supervisor.actions import Supervisor

    _Base = Screen[None]
else:
    _Base = object


class ApprovalActions(_Base):
    """Mixed into the dashboard, which provides the model, the clock, the highlighted approval
    and the supervisor."""

    model: ConsoleModel
    clock: Callable[[], float]

    def _approval(self) -> PendingApprovalView | None:
        raise NotImplementedError

    def _supervisor(self) -> Supervisor | None:
        raise NotImplementedError

    def action_answer(self, outcome: str) -> None:
        """Answer the highlighted approval; "always" answers show their rule first, and
        denying a human review asks for the changes wanted."""
        approval = self._approval()
        if approval is not None:
            from agents.approvals.broker import Outcome

            # A human reviewer's verdict is asked as an approval by "reviewer" itself (agents
            # are "<role>-<n>"): deny is "request changes", and its words are the feedback.
            review = approval.agent_id == approval.role == "reviewer"
            self.answer(approval.approval_id, Outcome(outcome), review=review)

    @work(group="answers", exit_on_error=False, name="answering an approval")
    async def answer(self, approval_id: str, outcome: Outcome, *, review: bool = False) -> None:
        """Answer one approval (asking to confirm the rule of an "always" or "never", and for
        the comments of a review sent back)."""
        supervisor = self._supervisor()
        if supervisor is None:
            return
        from agents.approvals.broker import Outcome
        from agents.auth.grants import GrantError
        from agents.supervisor.actions import SupervisorError

        reason = ""
        if review and outcome is Outcome.DENIED:
            from screens.message import MessageScreen

            note = "The implementer gets these comments as the feedback of its next attempt."
            ask = MessageScreen("Request changes", note, placeholder="what must change")
            comments = await self.app.push_screen_wait(ask)
            if comments is None:
                return
            reason = comments
        if outcome in (Outcome.APPROVED_ALWAYS, Outcome.DENIED_ALWAYS):
            try:
                rule = await asyncio.to_thread(supervisor.proposal, approval_id, outcome)
            except (GrantError, SupervisorError) as exc:
                self.notify(f"No standing rule is possible: {exc}", severity="error")
                return
            verb = "allow" if outcome is Outcome.APPROVED_ALWAYS else "deny"
            body = f"This rule will be added to {supervisor.policy_path}:\n\n{rule}"
            confirm = ConfirmScreen(f"Always {verb} this?", body, yes=f"Add rule and {verb}")
            if not await self.app.push_screen_wait(confirm):
                return
        try:
            done = await supervisor.answer(approval_id, outcome, reason=reason)
        except (GrantError, SupervisorError) as exc:
            self.notify(str(exc), severity="error", timeout=8)
            return
        added = f" · added {done.added_rule}" if done.added_rule else ""
        self.notify(f"{outcome.value.replace('_', ' ')}{added}", title=approval_id[:8], timeout=2.5)

    @work(group="details")
    async def action_details(self) -> None:
        """The full request of the highlighted approval, with its diff; answer from there."""
        approval = self._approval()
        if approval is None:
            return
        from agents.supervisor.actions import liveness

        session = self.model.view.session(approval.session_id)
        from screens.approval_details import ApprovalDetails, ApprovalDetailsScreen

        details = ApprovalDetails(
            approval_id=approval.approval_id,
            session_id=approval.session_id,
            session_title=session.title if session else "",
            agent_id=approval.agent_id,
            role=approval.role,
            tool=approval.tool,
            summary=approval.summary,
            command=approval.command,
            paths=approval.paths,
            cwd=approval.cwd,
            risk=approval.risk,
            rule_id=approval.rule_id,
            reason=approval.reason,
            diff=approval.diff,
            policy_hash=self.model.view.policy.hash,
            requested_ts=approval.requested_ts,
            waiting=liveness(approval.owner),
        )
        outcome = await self.app.push_screen_wait(ApprovalDetailsScreen(details, self.clock()))
        if outcome is not None:
            self.answer(approval.approval_id, outcome)
