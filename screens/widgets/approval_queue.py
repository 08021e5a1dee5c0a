"""The approvals queue across all sessions: oldest first, risk highlighted, time waiting."""

from __future__ import annotations

from screens.format import RISK_STYLE, age, clip, escape
from screens.widgets.keyed_list import KeyedList
from sessions.readmodel.views import PendingApprovalView


class ApprovalQueue(KeyedList[PendingApprovalView]):
    """Pending approvals; the highlighted one is what `a`, `A`, `d`, `D` and `enter` act on."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Approvals", id=id)

    @property
    def pending(self) -> tuple[PendingApprovalView, ...]:
        """What the queue shows."""
        return self.items

    @property
    def selected(self) -> PendingApprovalView | None:
        """The highlighted approval, if any."""
        if self.highlighted is None or not self.items:
            return None
        return self.items[min(self.highlighted, len(self.items) - 1)]

    def key(self, item: PendingApprovalView) -> str:
        """An approval is keyed by its id."""
        return item.approval_id

    def prompt(self, item: PendingApprovalView, now: float, width: int) -> str:
        """Risk, waiting time, role and session, then the tool and the command."""
        return _prompt(item, now, width)

    def show(
        self, items: tuple[PendingApprovalView, ...], now: float, *, force: bool = False
    ) -> bool:
        """Redraw with ``items`` (and fresh waiting times), the oldest highlighted by default."""
        changed = super().show(items, now, force=force)
        subtitle = f"{len(items)} waiting" if items else "none waiting"
        if self.border_subtitle != subtitle:  # the setter always repaints
            self.border_subtitle = subtitle
        self.set_class(bool(items), "-waiting")
        return changed


def _prompt(p: PendingApprovalView, now: float, width: int) -> str:
    risk = RISK_STYLE.get(p.risk, "$text")
    what = escape(clip(p.command or p.summary, width - len(p.tool) - 3))
    who = escape(clip(f"{p.role} · {p.session_id[:6]}", width - 12))
    head = (
        f"[{risk}]{p.risk.upper():<6}[/] [$text-muted]{age(p.requested_ts, now):>4}[/] [b]{who}[/]"
    )
    return f"{head}\n  [$accent]{escape(p.tool)}[/] {what}"
