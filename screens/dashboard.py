"""The dashboard: sessions, the selected session's agents and timeline, the approvals queue.

Attributes down, messages up: the app hands the screen each :class:`Changes` from the bridge
(``apply``); the widgets get view values; keys map to :class:`~agents.supervisor.actions.Supervisor` calls. The
screen holds no state of its own beyond what is selected.

``agents`` is imported where a key uses it, not at the top: it brings SQLAlchemy, bashlex and
the ACP schema (about a second), which :class:`~app.wiring.console_boot.Boot` loads after the first paint, and
no key reaches the supervisor before that.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import OptionList

from screens import stylesheets
from screens.approval_actions import ApprovalActions
from screens.confirm import ConfirmScreen
from screens.policy_actions import PolicyActions
from screens.session_actions import SessionActions
from screens.widgets.agent_grid import AgentGrid
from screens.widgets.approval_queue import ApprovalQueue
from screens.widgets.key_bar import KeyBar
from screens.widgets.policy_banner import PolicyBanner
from screens.widgets.session_list import SessionList
from screens.widgets.status_bar import StatusBar
from screens.widgets.timeline import SessionTimeline, TimelineFilter
from screens.worker_errors import ReportsFailedWorkers
from sessions.readmodel.console_model import Changes, ConsoleModel
from sessions.readmodel.usage import Money
from sessions.readmodel.views import PendingApprovalView, SessionView

if TYPE_CHECKING:
    from textual.command import Provider

    from agents.supervisor.actions import Supervisor
    from screens.review_state import ReviewDraft
    from screens.search import OpenReplay, Searcher


def console_commands() -> type[Provider]:
    """The palette's provider, loaded when the palette first opens."""
    from screens.palette import ConsoleCommands

    return ConsoleCommands


class DashboardScreen(
    ReportsFailedWorkers, ApprovalActions, SessionActions, PolicyActions, Screen[None]
):
    """What ``quarterdeck`` opens on: everything live, every key one action."""

    CSS_PATH = stylesheets.DASHBOARD
    AUTO_FOCUS = "#approvals"  # not the first focusable widget and then this: one change
    COMMANDS = {console_commands}
    BINDINGS = [
        Binding("a", "answer('approved_once')", "Approve", id="approve-once"),
        Binding("A", "answer('approved_always')", "Always", id="approve-always"),
        Binding("d", "answer('denied')", "Deny", id="deny"),
        Binding("D", "answer('denied_always')", "Never", id="deny-always"),
        Binding("enter", "details", "Details", show=False, id="details"),
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("n", "new_session", "New", id="new-session"),
        Binding("p", "pause", "Pause", id="pause"),
        Binding("c", "cancel_session", "Cancel", id="cancel"),
        Binding("x", "stop_turn", "Stop turn", show=False, id="stop-turn"),
        Binding("m", "message", "Message agent", show=False, id="message"),
        Binding("b", "rollback", "Rollback", id="rollback"),
        Binding("v", "review", "Review changes", show=False, id="review"),
        Binding("W", "worktree", "Worktree…", show=False, id="worktree"),
        Binding("r", "replay", "Replay", id="replay"),
        Binding("ctrl+f", "search", "Search", id="search"),
        Binding("question_mark", "help", "Help", id="help"),
    ]

    def __init__(
        self,
        model: ConsoleModel,
        *,
        supervisor: Supervisor | None,
        clock: Callable[[], float],
        open_replay: OpenReplay,
        keymap: dict[str, str] | None = None,
        search: Searcher | None = None,
        load_session: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self.keymap = keymap or {}
        """Binding id → keys, as remapped by the config file (for help)."""
        self.model = model
        self.supervisor = supervisor
        """What keys act through; ``None`` while the console is still starting."""
        self.opened = False
        """The console has opened: a ``supervisor`` still None now means it is read-only."""
        self.select_when_shown: str | None = None
        """A session to select as soon as the sessions list has it (one just started)."""
        self.clock = clock
        self.open_replay = open_replay
        self.search = search
        """Runs a search (on a worker thread); None: this console cannot search."""
        self.last_query = ""
        """The query the search screen ran last, offered again when it reopens."""
        self.load_session = load_session
        """Folds a session shown for the first time (on a thread); None: nothing to fold."""
        self.timeline_filter = TimelineFilter()
        self._shown: str | None = None
        self._asked: str | None = None
        """The shown session, once it was asked to be folded (asked once while shown)."""
        self.interrupted: frozenset[str] = frozenset()
        """Unfinished sessions no live process runs (``p`` resumes them here)."""
        self.review_drafts: dict[str, ReviewDraft] = {}
        """Review comments not sent yet, per session (``v`` comes back to them)."""
        self.painted = asyncio.Event()
        """Set once the first frame is on screen: the console opens the database after it (the
        imports that takes hold the interpreter a while)."""

    def compose(self) -> ComposeResult:
        yield PolicyBanner(id="banner")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield SessionList(id="sessions")
                yield ApprovalQueue(id="approvals")
            with Vertical(id="right"):
                yield AgentGrid(id="agents")
                yield SessionTimeline(id="timeline")
        yield StatusBar(id="status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.refresh_view(force=True)
        self.call_after_refresh(self.painted.set)

    # -- feeding ------------------------------------------------------------------------------

    def apply(self, changes: Changes) -> None:
        """Show what the bridge folded: the new view and the new timeline rows."""
        self.refresh_view()
        if self._shown is None:
            return
        if self._shown in changes.folded:  # folded just now: its whole timeline is new
            self._show_timeline(self._shown)
        elif self._shown in changes.entries:
            self.query_one(SessionTimeline).extend(changes.entries[self._shown])

    @property
    def folding(self) -> bool:
        """The shown session is still being folded: its agents and timeline are not shown."""
        return self._shown is not None and self.model.folding(self._shown) != "folded"

    def refresh_view(self, *, force: bool = False) -> None:
        """Redraw every widget from the model's current view (``force``: even if unchanged,
        e.g. every second for the ages)."""
        view = self.model.view
        now = self.clock()
        sessions = self.query_one(SessionList)
        sessions.interrupted = self.interrupted
        sessions.show(view.sessions, now, force=force)
        if self.select_when_shown is not None and view.session(self.select_when_shown):
            sessions.select_session(self.select_when_shown)
            self.select_when_shown = None
        self.query_one(ApprovalQueue).show(view.pending, now, force=force)
        self.query_one(PolicyBanner).show(view.policy)
        session = self._select(sessions.selected_id)
        self.query_one(StatusBar).show(view, force=force, session=session)

    def _select(self, session_id: str | None) -> SessionView | None:
        session = self.model.view.session(session_id) if session_id else None
        loading = session_id is not None and self.model.folding(session_id) != "folded"
        self.query_one(AgentGrid).show(session, loading=loading)
        if session_id != self._shown:
            self._shown, self._asked = session_id, None
            self.show_loading(session_id or "", done=0, total=0, finished=True)
            self._show_timeline(session_id)
        if session_id and loading and self._asked != session_id and self.load_session:
            self._asked = session_id  # folded on a thread; a fold that fails is not retried
            self.load_session(session_id)  # until the session is shown again
        return session

    def _show_timeline(self, session_id: str | None) -> None:
        """The shown session's rows (none while it is folded), titled with the session."""
        timeline = self.query_one(SessionTimeline)
        timeline.set_entries(self.model.timeline(session_id) if session_id else [])
        session = self.model.view.session(session_id) if session_id else None
        timeline.border_title = "Timeline"
        if session is not None:
            loading = " · loading…" if self.folding else ""
            timeline.border_title = f"Timeline · {session.title or session_id}{loading}"

    def show_interrupted(self, interrupted: frozenset[str]) -> None:
        """Mark the sessions a dead process left unfinished (and unmark resumed ones)."""
        if interrupted != self.interrupted:
            self.interrupted = interrupted
            self.refresh_view(force=True)

    def show_loading(
        self, session_id: str, *, done: int, total: int, finished: bool = False
    ) -> None:
        """Say in the status bar how far the shown session is folded (nothing once it is)."""
        text = ""
        session = self.model.view.session(session_id) if session_id else None
        if not finished and session_id == self._shown and session is not None:
            percent = 100 * done // max(1, total)
            text = f"loading {session.title or session_id[:8]} {percent}%"
        bar = self.query_one(StatusBar)
        if text != bar.progress_text:
            bar.progress_text = text
            bar.show(self.model.view, force=True)

    def show_spend(self, today: tuple[Money, ...]) -> None:
        """Say in the status bar what every session cost today (read on a worker)."""
        bar = self.query_one(StatusBar)
        if today != bar.day_spend:
            bar.day_spend = today
            bar.show(self.model.view, force=True, session=self.selected_session)

    @property
    def selected_session(self) -> SessionView | None:
        """The session highlighted in the sessions list."""
        sid = self.query_one(SessionList).selected_id
        return self.model.view.session(sid) if sid else None

    def show_session(self, session_id: str) -> None:
        """Select a session (the command palette's "go to session")."""
        self.query_one(SessionList).select_session(session_id)
        self._select(session_id)

    def show_agent(self, session_id: str, agent_id: str) -> None:
        """Select a session and keep only one agent's rows in its timeline."""
        self.show_session(session_id)
        self.timeline_filter = TimelineFilter(agent=agent_id)
        self.query_one(SessionTimeline).set_filter(agent=agent_id)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if isinstance(event.option_list, SessionList):
            session = self._select(event.option.id)
            self.query_one(StatusBar).show(self.model.view, session=session)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if isinstance(event.option_list, ApprovalQueue):
            self.action_details()
        elif isinstance(event.option_list, SessionList):
            self.query_one(SessionTimeline).focus()

    # -- approvals ----------------------------------------------------------------------------

    def _approval(self) -> PendingApprovalView | None:
        approval = self.query_one(ApprovalQueue).selected
        if approval is None:
            self.notify("No approval is waiting.", severity="warning")
        return approval

    def _supervisor(self) -> Supervisor | None:
        if self.supervisor is None:
            self.notify("The console is still starting.", severity="warning")
        return self.supervisor

    # -- sessions -----------------------------------------------------------------------------

    def _session(self) -> SessionView | None:
        session = self.selected_session
        if session is None:
            self.notify("No session is selected.", severity="warning")
        return session

    def action_replay(self) -> None:
        """Replay the selected session from its first event."""
        session = self._session()
        if session is not None:
            self.open_replay(session.session_id)

    @work(group="search-screen")
    async def action_search(self) -> None:
        """Search every session; a result opens the replay at its record."""
        if self.search is None:
            self.notify("This console cannot search.", severity="warning")
            return
        from screens.search import SearchScreen  # the store's search: not for the first paint

        screen = SearchScreen(self.search, self.open_replay, query=self.last_query)
        await self.app.push_screen_wait(screen)
        self.last_query = screen.query_text

    # -- timeline -----------------------------------------------------------------------------

    @work(group="filter")
    async def action_filter(self) -> None:
        """Filter the timeline by text, agent and kind."""
        session = self.selected_session
        agents = [a.agent_id for a in session.agents] if session else []
        from screens.filter import FilterScreen  # its widgets: not for the first paint

        chosen = await self.app.push_screen_wait(FilterScreen(self.timeline_filter, agents))
        if chosen is None:
            return
        self.timeline_filter = chosen
        self.query_one(SessionTimeline).set_filter(
            agent=chosen.agent, categories=chosen.categories, text=chosen.text
        )

    def on_session_timeline_opened(self, event: SessionTimeline.Opened) -> None:
        e = event.entry
        lines = [
            f"seq {e.seq} · {e.ts} · {e.actor} · {e.kind}",
            *([f"decision: {e.decision}"] if e.decision else []),
            *([f"rule: {e.rule_id}"] if e.rule_id else []),
            *([f"decided by: {e.decided_by}"] if e.decided_by else []),
            "",
            e.summary,
        ]
        self.app.push_screen(ConfirmScreen(f"Event {e.seq}", "\n".join(lines), yes="Close"))

    def action_help(self) -> None:
        """Every key and what it does."""
        keys = []
        for binding in self.BINDINGS:
            if isinstance(binding, Binding):  # the remapped keys, so help never lies
                key = self.keymap.get(binding.id, binding.key) if binding.id else binding.key
                keys.append((key, binding.description, binding.id or ""))
        keys += [("ctrl+p", "Command palette", "command_palette"), ("ctrl+q", "Quit", "quit")]
        from screens.help import HelpScreen  # Markdown (markdown-it) only when asked for

        self.app.push_screen(HelpScreen(keys))
