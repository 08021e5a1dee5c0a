"""The panels of the selected session's agents, reused across updates by agent id."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import Static

from screens.widgets.agent_panel import AgentPanel
from sessions.readmodel.views import SessionView


class AgentGrid(Grid):
    """A grid of :class:`AgentPanel`; shows a hint when the session has no agents yet."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._session: SessionView | None = None
        self._panels: dict[str, AgentPanel] = {}

    def compose(self) -> ComposeResult:
        yield self._hint_widget()  # in the first frame, not mounted after it

    def show(self, session: SessionView | None) -> None:
        """Show the agents of ``session`` (``None``: nothing selected)."""
        if session is self._session:
            return
        changed_session = (session and session.session_id) != (
            self._session and self._session.session_id
        )
        self._session = session
        if changed_session:
            self.remove_children()
            self._panels = {}
        agents = session.agents if session is not None else ()
        new = []
        for agent in agents:
            panel = self._panels.get(agent.agent_id)
            if panel is None:
                panel = self._panels[agent.agent_id] = AgentPanel(agent)
                new.append(panel)
            else:
                panel.update_agent(agent)
        if new:
            for hint in self.query(".agents-empty"):
                hint.remove()
            self.mount_all(new)
        if not agents and (changed_session or not self.children):
            self._hint()
        self._columns()

    def _columns(self) -> None:
        # As many ~24-cell columns as fit: four in a row at 200 columns, two at 80.
        n = len(self._panels)
        fit = max(1, self.size.width // 24) if self.size.width else 3
        self.styles.grid_size_columns = max(1, min(n, fit, 4))

    def on_resize(self) -> None:
        self._columns()

    def _hint(self) -> None:
        if not self.query(".agents-empty"):
            self.mount(self._hint_widget())

    def _hint_widget(self) -> Static:
        if self._session is not None:
            text = "No agents yet.\n[$text-muted]They appear here as the session starts them.[/]"
        else:
            text = (
                "No session selected.\n[$text-muted]Press [b]n[/b] to start one here, or run "
                "`quarterdeck run TASK` or `quarterdeck demo` in a shell.[/]"
            )
        return Static(text, classes="agents-empty")
