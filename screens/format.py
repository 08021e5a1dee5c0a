"""Small formatting helpers shared by the widgets: ages, state badges, markup escaping."""

from __future__ import annotations

from datetime import datetime

from textual.markup import escape

from sessions.lifecycle import SessionState
from sessions.readmodel.usage import moneys
from sessions.readmodel.views import AgentState, AgentView

STATE_STYLE: dict[str, str] = {
    SessionState.CREATED: "$text-muted",
    SessionState.RUNNING: "$success",
    SessionState.AWAITING_APPROVAL: "$warning",
    SessionState.PAUSED: "$secondary",
    SessionState.INTERRUPTED: "$warning",
    SessionState.SUCCEEDED: "$success",
    SessionState.FAILED: "$error",
    SessionState.CANCELLED: "$text-muted",
}
"""The theme variable a session state's badge is drawn in."""

STATE_ICON: dict[str, str] = {
    SessionState.CREATED: "○",
    SessionState.RUNNING: "●",
    SessionState.AWAITING_APPROVAL: "◆",
    SessionState.PAUSED: "Ⅱ",
    SessionState.INTERRUPTED: "!",
    SessionState.SUCCEEDED: "✔",
    SessionState.FAILED: "✘",
    SessionState.CANCELLED: "⊘",
}
"""A one-cell glyph per session state, so the badge reads without colour too."""

AGENT_LABEL: dict[AgentState, str] = {
    AgentState.IDLE: "idle",
    AgentState.THINKING: "thinking",
    AgentState.RUNNING_TOOL: "running tool",
    AgentState.AWAITING_APPROVAL: "waiting for approval",
    AgentState.RETRYING: "retrying",
    AgentState.PAUSED: "paused",
    AgentState.FAILED: "failed",
    AgentState.NEEDS_LOGIN: "needs login",
    AgentState.DONE: "done",
}
"""How an agent's state reads in its panel."""

RISK_STYLE = {"low": "$text-muted", "medium": "$warning", "high": "bold $error"}
"""The theme variable a risk level is drawn in."""

SPARK = "▁▂▃▄▅▆▇█"


def timestamp(ts: str) -> float | None:
    """An event time as a POSIX timestamp; ``None`` when it cannot be read."""
    try:
        return datetime.fromisoformat(ts).timestamp()
    except ValueError:
        return None


def age(ts: str, now: float) -> str:
    """``ts`` as a short age relative to ``now``: 42s, 7m, 3h, 2d."""
    moment = timestamp(ts)
    if moment is None:
        return "?"
    seconds = max(0.0, now - moment)
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 5400:
        return f"{seconds / 60:.0f}m"
    if seconds < 172800:
        return f"{seconds / 3600:.0f}h"
    return f"{seconds / 86400:.0f}d"


def sparkline(counts: tuple[int, ...]) -> str:
    """Activity counts as a row of block glyphs scaled to the busiest bucket."""
    peak = max(counts, default=0)
    if peak == 0:
        return SPARK[0] * len(counts)
    top = len(SPARK) - 1
    return "".join(SPARK[min(top, round(c / peak * top))] if c else " " for c in counts)


def tokens(count: int) -> str:
    """A token count as it reads at a glance: 950, 4.1k, 41k, 1.2M."""
    if count < 1000:
        return str(count)
    if count < 9950:
        return f"{count / 1000:.1f}k".replace(".0k", "k")
    if count < 999_500:
        return f"{round(count / 1000)}k"
    return f"{count / 1_000_000:.1f}M".replace(".0M", "M")


def usage_text(agent: AgentView) -> str:
    """An agent's context and cost (``ctx 41k/200k · $0.42``); empty before it reports any."""
    parts = []
    if agent.context_used is not None:
        size = f"/{tokens(agent.context_size)}" if agent.context_size else ""
        parts.append(f"ctx {tokens(agent.context_used)}{size}")
    if agent.costs:
        parts.append(moneys(agent.spent))
    return " · ".join(parts)


def clip(text: str, width: int) -> str:
    """One line of ``text``, cut to ``width`` cells with an ellipsis."""
    line = text.replace("\n", " ⏎ ")
    return line if len(line) <= width else line[: max(0, width - 1)] + "…"


__all__ = [
    "AGENT_LABEL",
    "RISK_STYLE",
    "STATE_ICON",
    "STATE_STYLE",
    "age",
    "clip",
    "escape",
    "moneys",
    "tokens",
    "usage_text",
]
