"""Command output becomes few, readable tool.output events: coalesced, capped, progress collapsed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from agents.backends.output import (
    FLUSH_INTERVAL_S,
    FLUSH_SIZE,
    STREAM_LIMIT,
    OutputCoalescer,
    collapse,
    last_state,
)


@dataclass
class FakeTimer:
    """A timer that runs only when the test says so."""

    delay: float
    callback: Callable[[], None]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class Rig:
    """A coalescer on a fake clock and a fake timer, and every event it emitted."""

    now: float = 1000.0
    events: list[tuple[str, bool]] = field(default_factory=list)
    timers: list[FakeTimer] = field(default_factory=list)

    def coalescer(self, **kwargs: int) -> OutputCoalescer:
        return OutputCoalescer(
            lambda text, truncated: self.events.append((text, truncated)),
            clock=lambda: self.now,
            schedule=self.schedule,
            **kwargs,
        )

    def schedule(self, delay: float, callback: Callable[[], None]) -> FakeTimer:
        timer = FakeTimer(delay, callback)
        self.timers.append(timer)
        return timer

    def fire(self) -> None:
        """Advance the clock to the armed timer and run it."""
        timer = self.timers[-1]
        assert not timer.cancelled
        self.now += timer.delay
        timer.callback()

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.events)


@pytest.fixture
def rig() -> Rig:
    return Rig()


def test_small_reads_become_one_event_per_interval(rig: Rig) -> None:
    out = rig.coalescer()
    for ch in b"building...\n":
        out.feed(bytes([ch]))  # a byte per read, as a slow pipe delivers
    assert rig.events == []  # nothing yet: within the interval and under the size
    assert [t.delay for t in rig.timers] == [FLUSH_INTERVAL_S]  # one timer, not one per read
    rig.fire()
    assert rig.events == [("building...\n", False)]
    out.feed(b"done\n")
    out.close()
    assert rig.events == [("building...\n", False), ("done\n", False)]
    assert rig.timers[-1].cancelled  # nothing fires after the command ended


def test_a_read_after_the_interval_emits_without_waiting_for_the_timer(rig: Rig) -> None:
    out = rig.coalescer()
    out.feed(b"a\n")
    rig.now += FLUSH_INTERVAL_S
    out.feed(b"b\n")
    assert rig.events == [("a\nb\n", False)]


def test_size_flushes_at_once(rig: Rig) -> None:
    out = rig.coalescer()
    line = b"x" * 99 + b"\n"
    for _ in range(FLUSH_SIZE // len(line) + 1):
        out.feed(line)
    assert len(rig.events) == 1 and len(rig.events[0][0]) >= FLUSH_SIZE


def test_a_progress_meter_collapses_to_its_last_state_across_reads(rig: Rig) -> None:
    out = rig.coalescer()
    for percent in range(0, 101, 10):
        out.feed(f"\rdownloading {percent:3d}%".encode())
        rig.fire()  # even when the interval passes between rewrites
    out.feed(b"\n")
    out.feed(b"ok\n")
    out.close()
    assert rig.text == "downloading 100%\nok\n"
    assert len(rig.events) <= 2


def test_a_meter_ending_in_carriage_returns_and_crlf_lines(rig: Rig) -> None:
    out = rig.coalescer()
    out.feed(b"10%\r20%\r")
    rig.fire()
    out.feed(b"30%\r")
    out.feed(b"\nline one\r\nline two\r\n")
    out.close()
    assert rig.text == "30%\nline one\nline two\n"


def test_an_unfinished_meter_is_emitted_in_its_last_state_at_exit(rig: Rig) -> None:
    out = rig.coalescer()
    out.feed(b"start\n[##   ]\r[#### ]\r[#####]")
    out.close()
    assert rig.text == "start\n[#####]"


def test_plain_unfinished_lines_are_not_held(rig: Rig) -> None:
    out = rig.coalescer()
    out.feed(b"....")  # pytest's dots, as they come
    rig.fire()
    assert rig.events == [("....", False)]


def test_output_is_capped_and_says_so(rig: Rig) -> None:
    out = rig.coalescer()
    chunk = b"x" * (64 * 1024)
    for _ in range(STREAM_LIMIT // len(chunk) + 3):
        out.feed(chunk)
    out.close()
    assert len(rig.text) == STREAM_LIMIT
    assert rig.events[-1][1] is True and not any(t for _, t in rig.events[:-1])


def test_a_character_cut_by_a_read_does_not_break_the_stream(rig: Rig) -> None:
    out = rig.coalescer()
    data = "héllo ✓\n".encode()
    for cut in (data[:2], data[2:9], data[9:]):  # both multi-byte characters are split
        out.feed(cut)
    out.close()
    assert rig.text == "héllo ✓\n"


def test_no_output_no_event(rig: Rig) -> None:
    out = rig.coalescer()
    out.close()
    assert rig.events == []


@pytest.mark.parametrize(
    ("line", "state"),
    [("abc", "abc"), ("1\r2\r3", "3"), ("1\r2\r", "2"), ("\r\r", ""), ("\rx", "x")],
)
def test_last_state(line: str, state: str) -> None:
    assert last_state(line) == state


def test_collapse_holds_only_a_line_being_rewritten() -> None:
    assert collapse("a\rb\nc", final=False) == ("b\nc", "")
    assert collapse("a\nb\rc\r", final=False) == ("a\n", "c\r")
    assert collapse("a\nb\rc\r", final=True) == ("a\nc", "")
