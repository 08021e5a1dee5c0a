"""The approvals queue across all sessions: oldest first, risk highlighted, time waiting."""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from screens.format import RISK_STYLE, age, clip, escape
from sessions.views import PendingApprovalView


class ApprovalQueue(OptionList):
    """Pending approvals; the highlighted one is what `a`, `A`, `d`, `D` and `enter` act on."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._pending: tuple[PendingApprovalView, ...] = ()
        self._now = 0.0
        self.border_title = "Approvals"

    @property
    def pending(self) -> tuple[PendingApprovalView, ...]:
        """What the queue shows."""
        return self._pending

    @property
    def selected(self) -> PendingApprovalView | None:
        """The highlighted approval, if any."""
        if self.highlighted is None or not self._pending:
            return None
        return self._pending[min(self.highlighted, len(self._pending) - 1)]

    def show(
        self, pending: tuple[PendingApprovalView, ...], now: float, *, force: bool = False
    ) -> None:
        """Redraw with ``pending`` (and fresh waiting times), keeping the highlight."""
        if pending is self._pending and not force:
            return
        keep = self.selected.approval_id if self.selected is not None else None
        self._pending = pending
        width = max(16, self.scrollable_content_region.width - 1)
        self.set_options([Option(_prompt(p, now, width), id=p.approval_id) for p in pending])
        ids = [p.approval_id for p in pending]
        self._now = now
        if keep in ids:
            self.highlighted = ids.index(keep)
        elif ids:
            self.highlighted = 0
        self.border_subtitle = f"{len(pending)} waiting" if pending else "none waiting"
        self.set_class(bool(pending), "-waiting")

    def on_resize(self) -> None:
        """Prompts are clipped to the width: draw them again at the new one."""
        self.show(self._pending, self._now, force=True)


def _prompt(p: PendingApprovalView, now: float, width: int) -> Content:
    risk = RISK_STYLE.get(p.risk, "$text")
    what = escape(clip(p.command or p.summary, width - len(p.tool) - 3))
    who = escape(clip(f"{p.role} · {p.session_id[:6]}", width - 12))
    head = (
        f"[{risk}]{p.risk.upper():<6}[/] [$text-muted]{age(p.requested_ts, now):>4}[/] [b]{who}[/]"
    )
    return Content.from_markup(f"{head}\n  [$accent]{escape(p.tool)}[/] {what}")
