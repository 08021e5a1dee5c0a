"""Pause Python's cyclic garbage collector while a bulk load builds many objects.

Reading and folding a 100,000-event session allocates a few hundred thousand records, tuples and
payload models. Each allocation burst triggers collections, and the oldest generation is a scan
of every object in the process — the console's widgets included — so a load spent a third of
its time collecting garbage it did not make: nothing a load builds forms a reference cycle,
reference counting frees it all. Reference counting keeps working while paused; only the search
for cycles waits, and it runs as usual once the last load ends.

The collector is process-wide, so pauses nest across threads: the collector comes back when the
last one ends, and only if it was on when the first began.

Once back, its next full collection would scan everything the load built (a pause of a tenth of
a second or more on the UI thread, right when the user starts to look). ``freeze=True`` moves
every object alive at the end of the block into the permanent generation instead (``gc.freeze``),
which full collections skip: the data a console keeps for its whole life — its history — then
costs no collection time at all, and streaming events stays smooth. Frozen objects are still
freed by reference counting; only a cycle among them waits for :func:`release_frozen`.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def paused_gc(*, freeze: bool = False) -> Iterator[None]:
    """No cyclic collection inside the block (nested and concurrent blocks share the pause);
    with ``freeze``, what is alive at its end is never scanned again (see the module)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


def release_frozen() -> None:
    """Let the collector scan frozen objects again (when a bulk of them is let go)."""
    gc.unfreeze()
