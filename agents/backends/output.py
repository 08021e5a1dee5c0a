"""A command's output as ``tool.output`` events that read well: coalesced, progress collapsed.

Reads from a terminal come in whatever sizes the pipe delivers — a progress meter gives one per
character. :class:`OutputCoalescer` gathers them and emits one event per ``interval_s`` (100 ms)
or ``size`` (4 KB) of output, whichever comes first, and the rest when the command exits. A line
rewritten with carriage returns (``10%\\r20%\\r…``) is emitted once, in its last state: an
unfinished line that has one is held until it ends (or the command exits), so a meter that runs
across many reads still collapses; other unfinished lines go out with their event, so pytest's
dots show as they come. The clock and the timer are injected, so tests need no sleeps.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import time
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 0.1
"""Output waits at most this long before it becomes an event."""
FLUSH_SIZE = 4096
"""Characters of pending output that make an event at once."""
STREAM_LIMIT = 256 * 1024
"""Bytes of one command's output streamed into ``tool.output`` events; the rest is not."""


class Timer(Protocol):
    """What scheduling a callback returns: it can be called off."""

    def cancel(self) -> None:
        """Do not run the callback."""


Emit = Callable[[str, bool], None]
"""Receives each event's text and whether the stream was capped with it."""
Schedule = Callable[[float, Callable[[], None]], Timer]
"""Runs a callback after a delay in seconds (``loop.call_later``)."""


def _call_later(delay: float, callback: Callable[[], None]) -> Timer:
    return asyncio.get_running_loop().call_later(delay, callback)


def last_state(line: str) -> str:
    """What a terminal ends up showing of a line rewritten with ``\\r``: its last rewrite."""
    if "\r" not in line:
        return line
    for state in reversed(line.split("\r")):
        if state:
            return state
    return ""


def collapse(text: str, *, final: bool) -> tuple[str, str]:
    """``(ready, held)``: the lines of ``text`` in their last state, and — unless ``final`` —
    an unfinished last line being rewritten, held with a trailing ``\\r`` if it had one so
    the next rewrite replaces it."""
    *lines, tail = text.split("\n")
    ready = "".join(last_state(line.removesuffix("\r")) + "\n" for line in lines)
    if final or "\r" not in tail:
        return ready + last_state(tail), ""
    return ready, last_state(tail) + ("\r" if tail.endswith("\r") else "")


class OutputCoalescer:
    """Turns one command's output reads into few, readable events (see the module docstring)."""

    def __init__(
        self,
        emit: Emit,
        *,
        clock: Callable[[], float] = time.monotonic,
        schedule: Schedule = _call_later,
        interval_s: float = FLUSH_INTERVAL_S,
        size: int = FLUSH_SIZE,
        limit: int = STREAM_LIMIT,
    ) -> None:
        self._emit = emit
        self._clock = clock
        self._schedule = schedule
        self._interval_s = interval_s
        self._size = size
        self._limit = limit
        self._sent = 0
        self._pending = ""
        self._since: float | None = None
        self._timer: Timer | None = None
        self._closed = False
        # A read can end inside a multi-byte character: decode incrementally across reads.
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def feed(self, chunk: bytes) -> None:
        """Take one read; emits when the size or the age of what is pending says so."""
        if self._closed:
            return
        room = self._limit - self._sent
        piece = chunk[:room]
        self._sent += len(piece)
        capped = self._sent >= self._limit
        self._pending += self._decoder.decode(piece, final=capped)
        if capped:
            self._finish(truncated=True)
            return
        if self._since is None:
            self._since = self._clock()
        if len(self._pending) >= self._size or self._clock() - self._since >= self._interval_s:
            self._flush()
        elif self._timer is None:
            self._timer = self._schedule(self._interval_s, self._tick)

    def close(self) -> None:
        """The command exited: emit whatever is left (an unfinished line in its last state)."""
        if not self._closed:
            self._pending += self._decoder.decode(b"", final=True)
            self._finish(truncated=False)

    def _tick(self) -> None:
        self._timer = None
        if self._closed or self._since is None:
            return
        try:
            self._flush()
        except Exception:  # a timer callback has nobody to raise to
            log.exception("could not record a command's output")

    def _flush(self) -> None:
        ready, held = collapse(self._pending, final=False)
        self._pending = held
        self._since = self._clock() if held else None
        if ready:
            self._emit(ready, False)

    def _finish(self, *, truncated: bool) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        text, _ = collapse(self._pending, final=True)
        self._pending = ""
        if text or truncated:
            self._emit(text, truncated)
