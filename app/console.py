"""The Textual app: paints the dashboard first, then opens the database and starts sessions.

Everything slow — SQLAlchemy, the store, the policy, agent processes — is started by
:class:`~app.wiring.console_boot.Boot` on a worker thread after the first frame, so the console appears as
fast as a trivial Textual app. ``ctrl+q`` asks first when sessions run here, and quitting
stops every agent process this console started.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen

from app.attention import Attention
from app.console_settings import Settings
from app.spend import DaySpend
from screens.confirm import ConfirmScreen
from screens.dashboard import DashboardScreen
from screens.messages import LogAdvanced, SessionLoading
from screens.stylesheets import FirstScreen, first_stylesheets
from screens.worker_errors import ReportsFailedWorkers
from sessions.readmodel.console_model import Alert, AlertThrottle, ConsoleModel

FIRST_FRAME_WAIT_S = 1.0
"""How long the console waits for its first complete frame before opening the database."""

LEASES_EVERY_S = 5.0
"""How often the tick reads the lease table for interrupted sessions (a lease lives 30 s:
reading it every second woke a thread and a connection for nothing)."""

if TYPE_CHECKING:
    from agents.supervisor.actions import Supervisor
    from app.bridge import Bridge
    from app.notify import Desktop
    from app.wiring.console_boot import Boot, Opened
    from sessions.lifecycle import SessionState
    from sessions.readmodel.replay import ReplayData
    from sessions.store.search import SearchHit, SearchQuery
    from sessions.store.search_index import Progress


class QuarterdeckApp(ReportsFailedWorkers, App[int]):
    """The console. ``boot`` says which database to open and what to run in it."""

    TITLE = "Quarterdeck"
    BINDINGS = [Binding("ctrl+q", "request_quit", "Quit", id="quit", priority=True)]

    def __init__(
        self,
        boot: Boot,
        *,
        settings: Settings | None = None,
        clock: Callable[[], float] = time.time,
        replay_session: str | None = None,
        replay_at: int | None = None,
        tick_s: float | None = 1.0,
        desktop: Desktop | None = None,
    ) -> None:
        first: FirstScreen = "replay" if replay_session is not None else "dashboard"
        super().__init__(css_path=first_stylesheets(first))
        self.boot = boot
        self.settings = settings or Settings()
        self.clock = clock
        self.replay_session = replay_session
        self.replay_at = replay_at
        self.tick_s = tick_s
        self.model = ConsoleModel()
        self.opened: Opened | None = None
        self.bridge: Bridge | None = None
        self.started: list[str] = []
        """Sessions this console started (``demo``/``run``)."""
        self.attention = Attention(
            self, self.settings.notify, since=clock(), write=self.write_escape, desktop=desktop
        )
        """What has waited, failed or stalled; ``desktop`` replaces the configured sender."""
        self._shut_down = False
        self.failure: str | None = None
        """Why the console could not open (printed after the terminal is restored)."""
        self._throttle = AlertThrottle()
        self.day_spend = DaySpend(self, clock=clock, read=self.spend_since)
        """Today's spend across sessions, for the status bar (read on a worker)."""
        self._leases_read = 0.0
        self._not_live: frozenset[str] = frozenset()
        """The sessions the last look at the leases found (or could not tell) not live."""
        self.closed = asyncio.Event()
        """Set once every session, agent, worker and the store have been stopped."""
        self.theme = self.settings.console.theme
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)

    # -- screens ------------------------------------------------------------------------------

    def first_screen(self) -> Screen[None]:
        """The dashboard, or the replay screen for ``quarterdeck replay``."""
        if self.replay_session is not None:
            from screens.replay import ReplayScreen

            loader = self._replay_loader(self.replay_session)
            return ReplayScreen(self.replay_session, loader, at_seq=self.replay_at)
        return DashboardScreen(
            self.model,
            supervisor=None,
            clock=self.clock,
            open_replay=self.open_replay,
            keymap=dict(self.settings.keymap),
            search=self.search,
            load_session=self.load_session,
        )

    @property
    def dashboard(self) -> DashboardScreen | None:
        """The dashboard, when this console has one."""
        for screen in self.screen_stack:
            if isinstance(screen, DashboardScreen):
                return screen
        return None

    def open_replay(self, session_id: str, at_seq: int | None = None) -> None:
        """Push the replay screen of ``session_id`` (just after record ``at_seq`` if given)."""
        session = self.model.view.session(session_id)
        title = session.title if session is not None else ""
        from screens.replay import ReplayScreen  # not needed for the first paint

        loader = self._replay_loader(session_id)
        self.push_screen(ReplayScreen(session_id, loader, title=title, at_seq=at_seq))

    def search(self, query: SearchQuery, progress: Callable[[Progress], None]) -> list[SearchHit]:
        """Run a search on the caller's thread (a worker's), through the runtime's store and
        its redactor (which masks message chunks joined while the index catches up)."""
        if self.boot.records is not None:
            return self.boot.search_records(query)
        runtime = self.opened.runtime if self.opened is not None else None
        if runtime is None:
            from sessions.errors import QuarterdeckError

            raise QuarterdeckError("the database is still opening: search again in a moment")
        from sessions.store.search import search

        store = runtime.store
        return search(store.engine, query, redact=store.redact_text, progress=progress)

    def spend_since(self, since_ts: str) -> dict[str, float]:
        """What every session's agents cost since record time ``since_ts``, per currency, on
        the caller's thread (a worker's): one sum over the store's usage projection."""
        if self.boot.records is not None:
            return self.boot.spend_records(since_ts)
        runtime = self.opened.runtime if self.opened is not None else None
        if runtime is None:
            return {}
        from sessions.store.usage_projection import day_spend

        return day_spend(runtime.store.engine, since_ts)

    def _replay_loader(self, session_id: str) -> Callable[[], ReplayData]:
        return lambda: self.boot.load_replay(session_id)

    # -- start --------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        """The first screen (no blank default screen to draw and replace first)."""
        return self.first_screen()

    def on_mount(self) -> None:
        if self.replay_session is None:
            self.call_after_refresh(self.start_console)

    @work(group="boot", exclusive=True)
    async def start_console(self) -> None:
        """Open the database and paint the sessions list from its projections, then open the
        policy and the runtime, follow the log and start the sessions."""
        dashboard = self.dashboard
        if dashboard is not None:  # let the first frame finish, keys and all (bounded wait)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(dashboard.painted.wait(), FIRST_FRAME_WAIT_S)
        try:  # on threads: the imports alone (SQLAlchemy, the agents) take a third of a second
            source = await self.boot.open_source_async()
            from app.bridge import Bridge  # loaded by the thread already

            self.bridge = Bridge(self, source, self.model)
            await self.bridge.seed()  # the sessions list: keys answer from here on
            opened = await self.boot.open_async(source)
        except Exception as exc:  # nothing to show or run without it: say why, exit 1
            self.failure = f"cannot open the console: {exc}"
            self.exit(return_code=1)
            return
        self.opened = opened
        dashboard = self.dashboard
        if dashboard is not None:
            dashboard.supervisor = opened.supervisor
            dashboard.opened = True
        for problem in opened.problems:
            self.notify(problem, title="Policy", severity="error", timeout=30)
        await self.bridge.start()
        if opened.runtime is not None:
            opened.runtime.start_workers()
            self.started = opened.start_runs()
        self.check_interrupted()  # sessions a dead console left running show at once
        self.day_spend.check()
        if self.tick_s is not None:
            self.set_interval(self.tick_s, self._tick, name="console-tick")

    # -- the bridge's messages ----------------------------------------------------------------

    def on_log_advanced(self, message: LogAdvanced) -> None:
        dashboard = self.dashboard
        if dashboard is not None and dashboard.is_mounted:
            dashboard.apply(message.changes)
        self.day_spend.saw(message.changes)
        for alert in self._throttle.admit(message.changes.alerts, time.monotonic()):
            self.alert(alert)

    def on_session_loading(self, message: SessionLoading) -> None:
        dashboard = self.dashboard
        if dashboard is not None and dashboard.is_mounted:
            dashboard.show_loading(
                message.session_id,
                done=message.done,
                total=message.total,
                finished=message.finished,
            )

    def load_session(self, session_id: str) -> None:
        """Fold a session the dashboard shows, if only its outline is known (on a thread)."""
        if self.bridge is not None:
            self.bridge.load(session_id)

    def alert(self, alert: Alert) -> None:
        """Call for attention at once (an approval arrived): a notification and the bell."""
        severity: SeverityLevel = "warning" if alert.kind == "approval" else "error"
        titles = {"approval": "Approval needed", "failed": "Session failed", "stalled": "Stalled?"}
        self.notify(alert.text, title=titles[alert.kind], severity=severity, timeout=8)
        if self.settings.notify.bell:
            self.bell()

    def write_escape(self, text: str) -> None:
        """Write an escape sequence to the terminal (a desktop notification by OSC 9/777)."""
        if not self.is_headless and self._driver is not None:
            self._driver.write(text)

    def check_attention(self, interrupted: frozenset[str] = frozenset()) -> None:
        """Tell what has waited, failed or stalled since the last look (a pass over the folded
        view: no database read). ``interrupted`` sessions are dead, not stalled."""
        self.attention.check(self.model.view, self.clock(), interrupted=interrupted)

    def _tick(self) -> None:
        """Every second: fresh ages and waiting times, what is due, and every few seconds
        the interrupted sessions."""
        dashboard = self.dashboard
        if dashboard is not None and dashboard.is_mounted and self.screen is dashboard:
            dashboard.refresh_view(force=True)
        now = time.monotonic()
        if now - self._leases_read >= LEASES_EVERY_S:
            self._leases_read = now
            self.check_interrupted()
        else:
            self.check_attention(self._not_live)
        self.day_spend.check()

    def check_interrupted(self) -> None:
        """Find the unfinished sessions no live process runs (the lease table is read on a
        thread, and only when the log shows some session unfinished), then what is due."""
        supervisor = self.opened.supervisor if self.opened is not None else None
        if supervisor is None:  # nothing to ask about leases: every session counts as live
            self.check_attention()
            return
        from agents.supervisor.recovery import UNFINISHED  # loaded with the supervisor already

        candidates = [
            (s.session_id, s.state) for s in self.model.view.sessions if s.state in UNFINISHED
        ]
        if candidates:  # what runs here is the loop's to read, the leases the thread's
            self._read_leases(supervisor, candidates, frozenset(supervisor.running()))
        else:
            self._show_interrupted(frozenset())

    @work(
        thread=True,
        exclusive=True,
        group="interrupted",
        exit_on_error=False,
        name="looking for interrupted sessions",
    )
    def _read_leases(
        self,
        supervisor: Supervisor,
        candidates: list[tuple[str, SessionState]],
        running_here: frozenset[str],
    ) -> None:
        found = frozenset(supervisor.interrupted(candidates, running_here=running_here))
        checked = frozenset(sid for sid, _ in candidates)
        self.call_from_thread(self._show_interrupted, found, checked)

    def _show_interrupted(
        self, found: frozenset[str], checked: frozenset[str] = frozenset()
    ) -> None:
        dashboard = self.dashboard
        if dashboard is not None and dashboard.is_mounted:
            dashboard.show_interrupted(found)
        # Unfinished sessions folded since the leases were read are unknown yet: not stalled
        # until the next look says they are live.
        from agents.supervisor.recovery import UNFINISHED

        unknown = {
            s.session_id
            for s in self.model.view.sessions
            if s.state in UNFINISHED and s.session_id not in checked
        }
        self._not_live = found | unknown
        self.check_attention(self._not_live)

    # -- quit ---------------------------------------------------------------------------------

    def running_here(self) -> list[str]:
        """Sessions this console drives that have not ended."""
        supervisor = self.opened.supervisor if self.opened is not None else None
        return [] if supervisor is None else supervisor.running()

    @work(group="quit", exclusive=True)
    async def action_request_quit(self) -> None:
        """Quit; when sessions run here, ask first — their agents are stopped."""
        supervisor = self.opened.supervisor if self.opened is not None else None
        running = [] if supervisor is None else supervisor.cancellable()
        if running:
            n = len(running)
            body = (
                f"{n} session{'s' if n > 1 else ''} running in this console. Quitting cancels"
                " them and stops every agent process; `quarterdeck resume` can continue them."
            )
            if not await self.push_screen_wait(ConfirmScreen("Quit Quarterdeck?", body)):
                return
        await self.shutdown()
        self.exit(0)

    async def shutdown(self) -> None:
        """Stop the bridge, every session and agent, the watchers and the store (once)."""
        if self._shut_down:
            return
        self._shut_down = True
        if self.bridge is not None:
            self.bridge.stop()
        try:
            if self.opened is not None:
                await self.opened.close()
        finally:
            self.closed.set()

    async def on_unmount(self) -> None:
        await self.shutdown()
