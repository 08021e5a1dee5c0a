"""The session timeline: one line per event, drawn with Textual's line API.

Only the visible lines are rendered (``render_line``), so a session of 100,000 events scrolls
as fast as one of ten. Rows are :class:`~sessions.readmodel.views.TimelineEntry` values from the shared
reducer module; a filter keeps the rows of one agent and of some categories, and follow mode
keeps the newest row in view.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from sessions.readmodel.views import Category, TimelineEntry

CATEGORIES: tuple[Category, ...] = (
    "handoff",
    "tool",
    "decision",
    "approval",
    "validation",
    "checkpoint",
    "escalation",
    "error",
    "message",
    "state",
    "other",
)
"""Every timeline category, in the order the filter lists them."""


@dataclass(frozen=True, slots=True)
class TimelineFilter:
    """What the timeline keeps; empty/``None`` parts do not filter."""

    text: str = ""
    agent: str | None = None
    categories: frozenset[Category] | None = None


GROW_EVERY_S = 0.2
"""How often a followed timeline takes in new rows (a human reads no faster; each growth costs
a layout)."""

GROW_UNFOLLOWED_S = 2.0
"""The same when not following: new rows are out of view and only the scrollbar learns of them
(moving the cursor to them, or following again, takes them in at once)."""


class SessionTimeline(ScrollView, can_focus=True):
    """A virtualized, filterable list of timeline rows with a cursor and follow mode."""

    COMPONENT_CLASSES = {
        "timeline--cursor",
        "timeline--dim",
        "timeline--allow",
        "timeline--deny",
        "timeline--ask",
        *(f"timeline--{c}" for c in CATEGORIES),
    }
    BINDINGS = [
        Binding("j,down", "cursor(1)", "Down", show=False, id="timeline.down"),
        Binding("k,up", "cursor(-1)", "Up", show=False, id="timeline.up"),
        Binding("pagedown", "cursor(20)", "Page down", show=False),
        Binding("pageup", "cursor(-20)", "Page up", show=False),
        Binding("g,home", "first", "First", show=False, id="timeline.first"),
        Binding("G,end", "last", "Last (follow)", show=False, id="timeline.last"),
        Binding("f", "toggle_follow", "Follow", id="timeline.follow"),
        Binding("enter", "open", "Details", show=False),
    ]

    follow: reactive[bool] = reactive(True)
    """Keep the newest row in view and under the cursor as rows arrive."""
    cursor: reactive[int] = reactive(-1, repaint=False)  # watch_cursor repaints two rows
    """Index (into the filtered rows) of the highlighted row; -1 when empty."""

    class Opened(Message):
        """The user asked for the details of a row (``enter``)."""

        def __init__(self, entry: TimelineEntry) -> None:
            super().__init__()
            self.entry = entry
            """The row."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._all: Sequence[TimelineEntry] = []
        self._last_seq = 0
        self._rows: Sequence[TimelineEntry] = []
        """``_all`` itself when no filter is set (no copy of a long list), else a list."""
        self._grow_timer: Timer | None = None
        self.agent_filter: str | None = None
        """Only this agent's rows (and rows naming no agent are hidden); ``None``: all."""
        self.category_filter: frozenset[Category] | None = None
        """Only rows of these categories; ``None``: all."""
        self.text_filter = ""
        """Only rows whose summary, kind or actor contain this text (case-insensitive)."""
        self.border_title = "Timeline"

    # -- feeding ------------------------------------------------------------------------------

    @property
    def rows(self) -> Sequence[TimelineEntry]:
        """The rows shown (after the filter)."""
        return self._rows

    def set_entries(self, entries: Sequence[TimelineEntry]) -> None:
        """Show another session's rows (``entries`` is read, never changed; a list that its
        owner appends to is followed by :meth:`extend`)."""
        self._all = entries
        self._refilter()

    def extend(self, entries: Iterable[TimelineEntry]) -> None:
        """Rows appended to the shown session's list since the last call."""
        fresh = [e for e in entries if e.seq > self._last_seq]  # set_entries may have them
        if not fresh:
            return
        self._last_seq = fresh[-1].seq
        shared = self._rows is self._all
        if not (shared and self._all and self._all[-1].seq >= fresh[-1].seq):
            # Not already in the owner's list (which unfiltered rows are): add them to ours.
            added = [e for e in fresh if self._keep(e)]
            if not added:
                return
            rows = list(self._rows) if shared else cast("list[TimelineEntry]", self._rows)
            rows.extend(added)
            self._rows = rows
        # Growing the virtual size costs a layout of the whole screen: under a stream of events
        # grow a few times a second, not every frame (rows past the end show at the next growth).
        if self._grow_timer is None:
            every = GROW_EVERY_S if self.follow else GROW_UNFOLLOWED_S
            self._grow_timer = self.set_timer(every, self._grow)

    def _grow(self) -> None:
        if self._grow_timer is not None:
            self._grow_timer.stop()
            self._grow_timer = None
        self._resized()
        if self.follow:
            self._to_end()
            self.refresh()

    def set_filter(
        self,
        *,
        agent: str | None = None,
        categories: frozenset[Category] | None = None,
        text: str = "",
    ) -> None:
        """Filter by agent, categories and text; ``None``/empty means no filter on that."""
        self.agent_filter, self.category_filter, self.text_filter = agent, categories, text
        self._refilter()

    def _keep(self, e: TimelineEntry) -> bool:
        agent = self.agent_filter
        if agent is not None and agent not in (e.agent_id, e.actor):
            return False
        if self.category_filter is not None and e.category not in self.category_filter:
            return False
        if self.text_filter:
            needle = self.text_filter.lower()
            hay = f"{e.summary} {e.kind} {e.actor} {e.rule_id or ''}".lower()
            return needle in hay
        return True

    def _refilter(self) -> None:
        self._last_seq = self._all[-1].seq if self._all else 0
        filtered = self.agent_filter or self.category_filter or self.text_filter
        self._rows = [e for e in self._all if self._keep(e)] if filtered else self._all
        parts = []
        if self.agent_filter:
            parts.append(self.agent_filter)
        if self.category_filter:
            parts.append(",".join(sorted(self.category_filter)))
        if self.text_filter:
            parts.append(f"“{self.text_filter}”")
        self.border_subtitle = ("filter: " + " · ".join(parts)) if parts else ""
        self._resized()
        if self.follow or self.cursor >= len(self._rows):
            self._to_end()
        self.refresh()

    def _resized(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._rows))

    def _to_end(self) -> None:
        self.cursor = len(self._rows) - 1
        # Anchored (see watch_follow), the compositor keeps the end in view at every layout;
        # a scroll_end of ours could run before the layout that knows the height.
        self.anchor(True)

    # -- keys ---------------------------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        """Move the cursor; moving up leaves follow mode."""
        if not self._rows:
            return
        target = max(0, min(len(self._rows) - 1, self.cursor + delta))
        if target >= self.virtual_size.height:
            self._grow()  # rows that came in since the last growth
        if delta < 0:
            self.follow = False
        self.cursor = target
        self.follow = self.follow and target == len(self._rows) - 1
        self.scroll_to_region_of(target)

    def action_first(self) -> None:
        """Jump to the first row (leaves follow mode)."""
        self.follow = False
        self.cursor = 0 if self._rows else -1
        self.scroll_to(y=0, animate=False)

    def action_last(self) -> None:
        """Jump to the newest row and follow from there."""
        self.follow = True
        self._grow()

    def action_toggle_follow(self) -> None:
        """Follow mode on or off."""
        self.follow = not self.follow
        if self.follow:
            self._grow()

    def action_open(self) -> None:
        """Post the highlighted row for its details."""
        if 0 <= self.cursor < len(self._rows):
            self.post_message(self.Opened(self._rows[self.cursor]))

    def scroll_to_region_of(self, index: int) -> None:
        """Scroll just enough for row ``index`` to be visible."""
        top = int(self.scroll_offset.y)
        height = self.scrollable_content_region.height
        if index < top:
            self.scroll_to(y=index, animate=False)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False)

    def watch_cursor(self, old: int, new: int) -> None:
        # Two rows changed: repaint those, not the whole timeline, so a key under a stream of
        # events costs a frame of two lines (a scroll repaints everything on its own).
        self.refresh_line(old)
        self.refresh_line(new)

    def watch_follow(self, follow: bool) -> None:
        self.border_title = "Timeline · following" if follow else "Timeline"
        if not follow:
            self.anchor(False)

    def on_resize(self) -> None:
        self._resized()
        if self.follow:
            self._to_end()

    # -- drawing ------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        """One visible row, styled by its category and decision."""
        index = int(self.scroll_offset.y) + y
        width = self.scrollable_content_region.width
        if index >= len(self._rows):
            return Strip.blank(width, self.rich_style)
        entry = self._rows[index]
        base = self.rich_style
        dim = base + self.get_component_rich_style("timeline--dim")
        kind = base + self.get_component_rich_style(f"timeline--{entry.category}")
        segments = [
            Segment(f"{entry.seq:>7} ", dim),
            Segment(f"{entry.ts[11:19]} ", dim),
            Segment(f"{entry.actor[:14]:<14} ", base),
            Segment(f"{entry.kind[:20]:<20} ", kind),
        ]
        if entry.decision:
            style = self._decision_style(entry.decision)
            segments.append(Segment(f"{entry.decision} ", base + style))
        if entry.rule_id:
            segments.append(Segment(f"[{entry.rule_id}] ", dim))
        if entry.decided_by:
            segments.append(Segment(f"by {entry.decided_by} ", dim))
        segments.append(Segment(entry.summary.replace("\n", " ⏎ "), base))
        strip = Strip(segments).crop_extend(0, width, base)
        if index == self.cursor and self.has_focus:
            strip = strip.apply_style(self.get_component_rich_style("timeline--cursor"))
        elif index == self.cursor:
            strip = strip.apply_style(Style(underline=True))
        return strip

    def _decision_style(self, decision: str) -> Style:
        if decision in ("allow", "approved_once", "approved_always"):
            return self.get_component_rich_style("timeline--allow")
        if decision == "ask":
            return self.get_component_rich_style("timeline--ask")
        return self.get_component_rich_style("timeline--deny")
