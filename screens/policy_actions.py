"""The palette's policy commands: reload the policy file now, revoke a standing grant.

Both write or read files, so both run on a thread worker; each says how it went in a
notification (a rejected reload also shows the dashboard's banner, from the log).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work

if TYPE_CHECKING:
    from textual.screen import Screen

    from agents.supervisor.actions import Supervisor

    _Base = Screen[None]
else:
    _Base = object


class PolicyActions(_Base):
    """Mixed into the dashboard, which provides the supervisor."""

    def _supervisor(self) -> Supervisor | None:
        raise NotImplementedError

    def reload_policy(self) -> None:
        """Load the policy file now and say how it went (a rejection also shows the banner)."""
        supervisor = self._supervisor()
        if supervisor is not None:
            self._reload_policy(supervisor)

    @work(
        thread=True,
        exclusive=True,
        group="policy-reload",
        exit_on_error=False,
        name="reloading the policy",
    )
    def _reload_policy(self, supervisor: Supervisor) -> None:
        from agents.supervisor.actions import SupervisorError

        try:
            result = supervisor.reload_policy()
        except SupervisorError as exc:
            self.notify(str(exc), severity="error")  # notify is thread-safe
            return
        if result.errors:
            self.notify("; ".join(result.errors[:3]), title="Policy rejected", severity="error")
        else:
            self.notify("policy reloaded", title=str(supervisor.policy_path))

    def revoke_grant(self, rule_id: str) -> None:
        """Remove a standing grant from the policy file (the watcher reloads it)."""
        supervisor = self._supervisor()
        if supervisor is not None:
            self._revoke_grant(supervisor, rule_id)

    @work(thread=True, group="grant-revoke", exit_on_error=False, name="revoking a grant")
    def _revoke_grant(self, supervisor: Supervisor, rule_id: str) -> None:
        from agents.supervisor.actions import SupervisorError

        try:
            supervisor.revoke(rule_id)
        except SupervisorError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(f"revoked {rule_id}")
