"""A live panel per agent: role, backend, state, the current tool, output tail, activity,
people's messages still waiting for it, and its context and cost (bottom border)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Vertical
from textual.content import Content
from textual.css.types import EdgeType
from textual.theme import Theme
from textual.widgets import Static

from screens.format import AGENT_LABEL, clip, escape, sparkline, usage_text
from sessions.readmodel.views import OUTPUT_LINE_CHARS, AgentState, AgentView

TAIL_LINES = 6
"""Output lines a panel shows (the view keeps more; details show them all)."""

QUEUED_LINES = 2
"""Of those, at most this many show queued messages (the newest), below the output."""

BORDER: dict[AgentState, tuple[EdgeType, str, float]] = {
    AgentState.IDLE: ("round", "panel-lighten-2", 1.0),
    AgentState.THINKING: ("round", "primary", 1.0),
    AgentState.RUNNING_TOOL: ("round", "accent", 1.0),
    AgentState.AWAITING_APPROVAL: ("heavy", "warning", 1.0),
    AgentState.RETRYING: ("round", "warning", 1.0),
    AgentState.FAILED: ("heavy", "error", 1.0),
    AgentState.NEEDS_LOGIN: ("double", "error", 1.0),
    AgentState.DONE: ("round", "success", 0.6),
    AgentState.PAUSED: ("dashed", "secondary", 1.0),
}
"""The border of a panel per state: its edge, the theme colour and that colour's opacity.

Set as an inline style, not a CSS class: agents flip between thinking and running a tool many
times a second, and a class change restyles the panel and all its children (a third of the
console's time under a stream of events); a border colour only repaints the panel."""

LABEL_STYLE: dict[AgentState, str] = {
    AgentState.AWAITING_APPROVAL: "$warning",
    AgentState.FAILED: "$error",
    AgentState.NEEDS_LOGIN: "$error",
    AgentState.DONE: "$success",
}
"""States whose label stands out in its own colour."""


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
        if not self.children:  # removed before its children mounted (the selection moved on)
            return
        self._draw(self.agent, None)
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: Theme) -> None:
        self.call_after_refresh(self._paint_border, self.agent.state)

    def _paint_border(self, state: AgentState) -> None:
        edge, variable, alpha = BORDER[state]
        variables = self.app.theme_variables or self.app.get_css_variables()  # the former: cached
        color = Color.parse(variables.get(variable, "white"))
        self.styles.border = (edge, color.multiply_alpha(alpha))

    def update_agent(self, agent: AgentView) -> None:
        """Show ``agent`` (a new value from the reducer)."""
        if agent is self.agent:
            return
        old, self.agent = self.agent, agent
        if self.is_mounted:
            self._draw(agent, old)

    def _draw(self, a: AgentView, old: AgentView | None) -> None:
        if old is None or (a.role, a.backend, a.sandbox) != (old.role, old.backend, old.sandbox):
            self.border_title = f"{a.role or '?'} · {a.agent_id}"  # setters repaint
            self.border_subtitle = _subtitle(a)
        elif (a.context_used, a.context_size, a.costs) != (
            old.context_used,
            old.context_size,
            old.costs,
        ):
            self.border_subtitle = _subtitle(a)
        if old is None or old.state is not a.state:
            self._paint_border(a.state)
        counters = f"attempt {a.attempts}" + (f" · retries {a.retries}" if a.retries else "")
        label = AGENT_LABEL[a.state]
        if a.state in LABEL_STYLE:
            label = f"[{LABEL_STYLE[a.state]}]{label}[/]"
        # Every part has a fixed height (widgets.tcss): new text never needs a new layout, and a
        # layout per update would cost the whole screen's under a stream of events.
        if old is None or (a.state, a.attempts, a.retries, a.drifted, len(a.queued)) != (
            old.state,
            old.attempts,
            old.retries,
            old.drifted,
            len(old.queued),
        ):
            drift = f"  [$error b]✘ drift: {a.drifted} file(s)[/]" if a.drifted else ""
            waiting = f"  [$warning]✉ {len(a.queued)} queued[/]" if a.queued else ""
            self.query_one(".agent-state", Static).update(
                f"[b]{label}[/]  [$text-muted]{counters}[/]{drift}{waiting}", layout=False
            )
        login = a.state is AgentState.NEEDS_LOGIN
        if old is None or (a.current_tool, a.last_error, a.state) != (
            old.current_tool,
            old.last_error,
            old.state,
        ):
            if login:
                tool = "[$error]log it in, then run the session again[/]"
            elif a.last_error and a.state in (AgentState.FAILED, AgentState.RETRYING):
                tool = f"[$error]{escape(clip(a.last_error, 200))}[/]"
            elif a.current_tool:
                tool = f"[$accent]▶[/] {escape(clip(a.current_tool, 200))}"
            else:
                tool = "[$text-muted]–[/]"
            self.query_one(".agent-tool", Static).update(tool, layout=False)
        if login and (old is None or (old.state, old.last_error) != (a.state, a.last_error)):
            # The whole hint, wrapped where the output goes: which login, and how, in full.
            self.query_one(".agent-output", Static).update(
                f"[$text]{escape(a.last_error or '')}[/]", layout=False
            )
        elif (
            old is None
            or a.output_tail is not old.output_tail
            or a.queued is not old.queued
            or old.state is AgentState.NEEDS_LOGIN  # a restarted agent shows its output again
        ):
            output = self.query_one(".agent-output", Static)
            if not a.queued:
                tail = a.output_tail[-TAIL_LINES:]
                lines = "\n".join(escape(clip(line, OUTPUT_LINE_CHARS)) for line in tail)
                output.update(lines, layout=False)
            else:  # plain text and one styled mark: no markup of an agent's output to misparse
                queued = a.queued[-QUEUED_LINES:]
                tail = a.output_tail[-(TAIL_LINES - len(queued)) :]
                parts = [Content(clip(line, OUTPUT_LINE_CHARS)) for line in tail]
                parts += [
                    Content.from_markup(
                        "[$warning]✉ $by:[/] $text", by=m.by, text=clip(m.text, 200)
                    )
                    for m in queued
                ]
                output.update(Content("\n").join(parts), layout=False)
        if old is None or a.activity is not old.activity:
            self.query_one(".agent-spark", Static).update(sparkline(a.activity), layout=False)


def _subtitle(a: AgentView) -> str:
    """The backend, and how the agent is confined when ``agent.started`` said; once it reports
    usage, its context and cost instead of the backend (only ACP agents report it)."""
    usage = usage_text(a)
    if usage:
        confined = "[$warning]no sandbox[/]" if a.sandbox == "none" else a.sandbox
        return " · ".join(part for part in (escape(usage), confined) if part)
    if a.sandbox == "none":
        return f"{a.backend} · [$warning]no sandbox[/]"
    return f"{a.backend} · {a.sandbox}" if a.sandbox else a.backend
