"""The banner shown while the last policy reload was rejected: the old policy stays in force."""

from __future__ import annotations

from textual.widgets import Static

from screens.format import clip, escape
from sessions.readmodel.views import PolicyStatus


class PolicyBanner(Static):
    """Visible only when the last reload was rejected; says why and what is still enforced."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._status: PolicyStatus | None = None

    def show(self, status: PolicyStatus) -> None:
        """Show or hide for ``status``."""
        if status is self._status:
            return
        self._status = status
        rejected = status.last_result == "rejected"
        self.display = rejected
        if not rejected:
            return
        kept = status.hash[:12] if status.hash else "deny-everything"
        why = "; ".join(clip(e, 160) for e in status.errors[:3]) or "no reason recorded"
        more = f" (+{len(status.errors) - 3} more)" if len(status.errors) > 3 else ""
        self.update(
            f"[b]Policy reload rejected[/] — still enforcing {kept}. {escape(why)}{more}"
            "  [$text-muted](fix the file; it reloads on save)[/]"
        )
