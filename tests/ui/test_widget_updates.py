"""What the dashboard's widgets repaint under a stream of events, and what they leave alone.

A repaint at every event of a widget whose text did not change widens each frame to most of
the screen; these tests pin down that the widgets skip such repaints, and that what is skipped
still shows when it matters.
"""

from __future__ import annotations

from dataclasses import replace

from textual.app import App, ComposeResult
from textual.binding import Binding

from screens.widgets.key_bar import KeyBar
from screens.widgets.session_list import SessionList
from screens.widgets.status_bar import StatusBar
from screens.widgets.timeline import SessionTimeline
from sessions.readmodel.views import ConsoleView, SessionView, TimelineEntry


def row(seq: int) -> TimelineEntry:
    """A timeline row numbered ``seq``."""
    ts = f"2026-11-24T09:30:{seq % 60:02d}.000000Z"
    return TimelineEntry(
        seq=seq,
        ts=ts,
        session_id="s1",
        actor="impl-1",
        kind="agent.thought",
        summary=f"thought {seq}",
        category="message",
    )


class Host(App[None]):
    """The widgets alone, fed by hand."""

    def compose(self) -> ComposeResult:
        yield SessionList(id="sessions")
        yield SessionTimeline(id="timeline")
        yield StatusBar(id="status")


async def test_unfollowed_rows_arrive_without_a_layout_and_show_when_the_cursor_reaches_them() -> (
    None
):
    async with Host().run_test(size=(100, 30)) as pilot:
        timeline = pilot.app.query_one(SessionTimeline)
        timeline.focus()
        owned = [row(i) for i in range(1, 41)]
        timeline.set_entries(owned)
        await pilot.pause()
        await pilot.press("k")  # leaves follow mode, cursor on row 39
        height = timeline.virtual_size.height
        new = [row(i) for i in range(41, 44)]
        owned.extend(new)  # as the console's model does, then tells the widget
        timeline.extend(new)
        await pilot.pause()
        assert timeline.virtual_size.height == height == 40  # no growth yet: out of view
        await pilot.press("j", "j")
        assert timeline.virtual_size.height == 43  # reached the new rows: taken in at once
        assert timeline.cursor == 40 and timeline.rows[timeline.cursor].seq == 41
        assert timeline.scroll_offset.y + timeline.scrollable_content_region.height > 40


async def test_a_filtered_timeline_keeps_its_own_rows_and_the_owner_list_is_untouched() -> None:
    async with Host().run_test(size=(100, 30)) as pilot:
        timeline = pilot.app.query_one(SessionTimeline)
        owned = [row(i) for i in range(1, 11)]
        timeline.set_entries(owned)
        timeline.set_filter(text="thought 1")
        new = [row(11), row(12)]
        owned.extend(new)
        timeline.extend(new)
        assert [e.seq for e in timeline.rows] == [1, 10, 11, 12]
        assert len(owned) == 12  # extend added to the widget's rows, not to the owner's list


async def test_sessions_that_read_the_same_are_not_drawn_again() -> None:
    async with Host().run_test(size=(100, 30)) as pilot:
        sessions = pilot.app.query_one(SessionList)
        one = SessionView(session_id="s1", title="fix", created_ts="2026-11-24T09:30:00.000000Z")
        assert sessions.show((one,), now=0.0)
        option = sessions.get_option_at_index(0)
        busier = replace(one, event_count=one.event_count + 500)  # not on screen
        assert not sessions.show((busier,), now=0.0, force=True)
        assert sessions.get_option_at_index(0) is option and sessions.items == (busier,)
        renamed = replace(busier, title="fix the window")
        assert sessions.show((renamed,), now=0.0)
        assert "fix the window" in str(sessions.get_option_at_index(0).prompt)


async def test_the_status_bar_shows_a_moving_seq_only_when_redrawn_each_second() -> None:
    async with Host().run_test(size=(100, 30)) as pilot:
        bar = pilot.app.query_one(StatusBar)
        bar.show(ConsoleView(last_seq=10))
        assert "seq 10" in str(bar.render())
        bar.show(ConsoleView(last_seq=11))
        assert "seq 10" in str(bar.render())  # only the seq moved: not worth a repaint
        bar.show(ConsoleView(last_seq=12), force=True)
        assert "seq 12" in str(bar.render())
        bar.show(ConsoleView(last_seq=13, running=1))
        assert "seq 13" in str(bar.render()) and "1 running" in str(bar.render())


class Keys(App[None]):
    """Two bindings shown, one hidden, and a keymap that moves one of them."""

    BINDINGS = [
        Binding("g", "go", "Go", id="go"),
        Binding("s", "stop", "Stop", id="stop"),
        Binding("h", "hidden", "Hidden", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.went = 0

    def compose(self) -> ComposeResult:
        yield KeyBar()

    def action_go(self) -> None:
        self.went += 1


async def test_the_key_bar_lists_shown_bindings_in_the_first_frame_and_a_click_presses() -> None:
    app = Keys()
    app.set_keymap({"stop": "x"})
    async with app.run_test(size=(60, 5)) as pilot:
        text = str(pilot.app.query_one(KeyBar).render())
        assert "g Go" in text and "x Stop" in text and "Hidden" not in text
        assert "palette" in text
        await pilot.click(KeyBar, offset=(2, 0))  # on " g Go"
        assert app.went == 1
