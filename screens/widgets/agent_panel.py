"""A live panel per agent: role, backend, state, the current tool, output tail, activity."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from screens.format import AGENT_LABEL, clip, escape, sparkline
from sessions.views import OUTPUT_LINE_CHARS, AgentState, AgentView

TAIL_LINES = 6
"""Output lines a panel shows (the view keeps more; details show them all)."""


class AgentPanel(Vertical):
    """One agent of the selected session; ``update_agent`` redraws only what changed."""

    def __init__(self, agent: AgentView) -> None:
        super().__init__(classes="agent-panel")
        self.agent = agent

    def compose(self) -> ComposeResult:
        yield Static(classes="agent-state")
        yield Static(classes="agent-tool")
        yield Static(classes="agent-output")
        yield Static(classes="agent-spark")

    def on_mount(self) -> None:
        self._draw(self.agent, None)

    def update_agent(self, agent: AgentView) -> None:
        """Show ``agent`` (a new value from the reducer)."""
        if agent is self.agent:
            return
        old, self.agent = self.agent, agent
        if self.is_mounted:
            self._draw(agent, old)

    def _draw(self, a: AgentView, old: AgentView | None) -> None:
        self.border_title = f"{a.role or '?'} · {a.agent_id}"
        self.border_subtitle = a.backend or ""
        for state in AgentState:
            self.set_class(a.state is state, f"-{state.value}")
        counters = f"attempt {a.attempts}" + (f" · retries {a.retries}" if a.retries else "")
        label = AGENT_LABEL[a.state]
        # Every part has a fixed height (widgets.tcss): new text never needs a new layout, and a
        # layout per update would cost the whole screen's under a stream of events.
        if old is None or (a.state, a.attempts, a.retries) != (
            old.state,
            old.attempts,
            old.retries,
        ):
            self.query_one(".agent-state", Static).update(
                f"[b]{label}[/]  [$text-muted]{counters}[/]", layout=False
            )
        if old is None or (a.current_tool, a.last_error) != (old.current_tool, old.last_error):
            if a.last_error and a.state in (AgentState.FAILED, AgentState.RETRYING):
                tool = f"[$error]{escape(clip(a.last_error, 200))}[/]"
            elif a.current_tool:
                tool = f"[$accent]▶[/] {escape(clip(a.current_tool, 200))}"
            else:
                tool = "[$text-muted]–[/]"
            self.query_one(".agent-tool", Static).update(tool, layout=False)
        if old is None or a.output_tail is not old.output_tail:
            tail = a.output_tail[-TAIL_LINES:]
            self.query_one(".agent-output", Static).update(
                "\n".join(escape(clip(line, OUTPUT_LINE_CHARS)) for line in tail), layout=False
            )
        if old is None or a.activity is not old.activity:
            self.query_one(".agent-spark", Static).update(sparkline(a.activity), layout=False)
