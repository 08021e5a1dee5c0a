"""The panels of the selected session's agents, reused across updates by agent id."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import Static

from screens.widgets.agent_panel import AgentPanel
from sessions.readmodel.views import SessionView


class AgentGrid(Grid):
    """A grid of :class:`AgentPanel`; a hint instead while there are none to show."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._session: SessionView | None = None
        self._loading = False
        self._panels: dict[str, AgentPanel] = {}
        self._hint = Static(self._hint_text(), classes="agents-empty")

    def compose(self) -> ComposeResult:
        yield self._hint  # in the first frame, not mounted after it

    def show(self, session: SessionView | None, *, loading: bool = False) -> None:
        """Show the agents of ``session`` (``None``: nothing selected; ``loading``: it is
        being folded, its agents come when it is)."""
        if session is self._session and loading == self._loading:
            return
        changed = (session and session.session_id) != (
            self._session and self._session.session_id
        ) or loading != self._loading
        self._session, self._loading = session, loading
        if changed:
            self.remove_children(AgentPanel)
            self._panels = {}
        agents = session.agents if session is not None and not loading else ()
        new = []
        for agent in agents:
            panel = self._panels.get(agent.agent_id)
            if panel is None:
                panel = self._panels[agent.agent_id] = AgentPanel(agent)
                new.append(panel)
            else:
                panel.update_agent(agent)
        if new:
            self.mount_all(new)
        if changed or new:
            self._hint.display = not self._panels
            self._hint.update(self._hint_text())
        self._columns()

    def _columns(self) -> None:
        # As many ~24-cell columns as fit: four in a row at 200 columns, two at 80.
        n = len(self._panels)
        fit = max(1, self.size.width // 24) if self.size.width else 3
        self.styles.grid_size_columns = max(1, min(n, fit, 4))

    def on_resize(self) -> None:
        self._columns()

    def _hint_text(self) -> str:
        if self._loading:
            return (
                "Loading this session…\n"
                "[$text-muted]Its agents and timeline show once its events are folded.[/]"
            )
        if self._session is not None:
            return "No agents yet.\n[$text-muted]They appear here as the session starts them.[/]"
        return (
            "No session selected.\n[$text-muted]Press [b]n[/b] to start one here, or run "
            "`quarterdeck run TASK` or `quarterdeck demo` in a shell.[/]"
        )
