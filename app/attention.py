"""How the console reaches a human who is not looking at it: the decision is
:class:`~sessions.readmodel.attention.Watch`'s (pure, over the view already folded), the ringing
is here — a notification in the console, the terminal bell, a desktop notification.

Nothing here reads the database: a check is a pass over the folded view, and the desktop
notification is sent by a worker (``notify-send`` is a process; finding it on PATH is disk
work), so the UI loop only draws. A sender that fails is logged and told once in the console.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from textual.notifications import SeverityLevel

from app.console_settings import NotifySettings
from sessions.readmodel.attention import Notice, NoticeKind, Rules, Watch

if TYPE_CHECKING:
    from textual.app import App

    from app.notify import Desktop
    from sessions.readmodel.views import ConsoleView

__all__ = ["Attention"]

log = logging.getLogger(__name__)

TITLES: dict[NoticeKind, str] = {
    "approval": "Approval waiting",
    "failed": "Session failed",
    "stalled": "Stalled?",
}


class Attention:
    """Checks the view for what is due and tells it: once per approval, failure or stall."""

    def __init__(
        self,
        app: App[Any],
        settings: NotifySettings,
        *,
        since: float,
        write: Callable[[str], None],
        desktop: Desktop | None = None,
    ) -> None:
        self.app = app
        self.settings = settings
        rules = Rules(
            approval_after_s=settings.approval_after_s,
            stall_after_s=settings.stall_after_s,
            on_failure=settings.on_failure,
        )
        self.watch = Watch(rules, since=since)
        self._write = write
        self._desktop: Desktop | None = desktop
        self._chosen = desktop is not None
        """Whether the sender is known (given, or chosen from the settings on first use)."""
        self._failure_told = False

    def check(
        self, view: ConsoleView, now: float, *, interrupted: frozenset[str] = frozenset()
    ) -> list[Notice]:
        """Tell whatever became due since the last check; returns it."""
        notices = self.watch.check(view, now, interrupted=interrupted)
        if notices:
            self.tell(notices)
        return notices

    def tell(self, notices: Sequence[Notice]) -> None:
        """One console notification each, one bell, one desktop notification for them all."""
        for notice in notices:
            severity: SeverityLevel = "warning" if notice.kind == "approval" else "error"
            self.app.notify(
                notice.text, title=TITLES[notice.kind], severity=severity, timeout=8, markup=False
            )
        if self.settings.bell:
            self.app.bell()
        if self.settings.desktop == "off":
            return
        if len(notices) == 1:
            title, body = f"Quarterdeck: {TITLES[notices[0].kind]}", notices[0].text
        else:
            title = f"Quarterdeck: {len(notices)} things need you"
            body = "\n".join(notice.text for notice in notices[:5])
        self.app.run_worker(
            self._send(title, body),
            name="desktop notification",
            group="desktop-notification",
            exit_on_error=False,
        )

    async def _send(self, title: str, body: str) -> None:
        from app.notify import NotifyFailed, choose  # with the first notification only

        try:
            if not self._chosen:
                self._desktop = await asyncio.to_thread(
                    choose, self.settings.desktop, write=self._write
                )
                self._chosen = True
            if self._desktop is not None:
                await self._desktop.send(title, body)
        except NotifyFailed as exc:
            self._failed(str(exc))
        except Exception as exc:  # a sender's bug must not become a traceback on screen
            log.exception("desktop notification failed")
            self._failed(f"{type(exc).__name__}: {exc}")

    def _failed(self, why: str) -> None:
        log.warning("desktop notification failed: %s", why)
        if self._failure_told:
            return
        self._failure_told = True
        self.app.notify(
            f"{why} (told once; see [notify] in config.toml)",
            title="Desktop notification failed",
            severity="warning",
            timeout=10,
            markup=False,
        )
