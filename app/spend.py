"""Today's spend across every session, for the status bar: one indexed sum, read on a thread.

The console does not fold every session it has ever seen to learn what today cost: the store
keeps each change of an agent's running cost in a projection (``usage_spend``), and one query
sums it from local midnight on. It is read when it may have changed — at open, when records of
agents' usage arrive (live, or polled from another process), when the day turns — never on the
loop, and never two at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sessions.readmodel.usage import Money

if TYPE_CHECKING:
    from app.console import QuarterdeckApp
    from sessions.readmodel.console_model import Changes

USAGE_KIND = "agent.usage"


def day_start(now: float) -> str:
    """Local midnight before ``now``, as a record time (UTC, ``...Z``)."""
    midnight = datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(midnight.timestamp()))


class DaySpend:
    """Keeps the status bar's "today" true: reads again only when it may have changed."""

    def __init__(
        self,
        app: QuarterdeckApp,
        *,
        clock: Callable[[], float],
        read: Callable[[str], dict[str, float]],
    ) -> None:
        self._app = app
        self._clock = clock
        self._read = read
        """What every session cost since a record time, per currency (run on a worker)."""
        self._shown_day: str | None = None
        self._stale = True
        self._reading = False

    def saw(self, changes: Changes) -> None:
        """The log advanced: read again if it brought usage."""
        if any(e.kind == USAGE_KIND for rows in changes.entries.values() for e in rows):
            self._stale = True
            self.check()

    def check(self) -> None:
        """Read today's spend if it is stale or the day has turned (every tick asks)."""
        since = day_start(self._clock())
        if since != self._shown_day:
            self._stale = True
        if self._stale and not self._reading:
            self._stale, self._reading = False, True
            self._app.run_worker(
                lambda: self._read_on_thread(since),
                thread=True,
                group="day-spend",
                exit_on_error=False,
                name="reading today's spend",
            )

    def _read_on_thread(self, since: str) -> None:
        try:
            found = self._read(since)
        except BaseException:
            self._app.call_from_thread(self._finish, None, {})
            raise  # reported by the app's worker-error handler
        self._app.call_from_thread(self._finish, since, found)

    def _finish(self, since: str | None, found: dict[str, float]) -> None:
        self._reading = False
        if since is not None:
            self._shown_day = since
            dashboard = self._app.dashboard
            if dashboard is not None and dashboard.is_mounted:
                dashboard.show_spend(tuple(Money(cur, amount) for cur, amount in found.items()))
        if self._stale:  # usage came in while it was read: once more
            self.check()
