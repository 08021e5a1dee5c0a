"""The GC pause of bulk loads: nesting, the state it restores, and freezing."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from sessions.readmodel.gc_pause import paused_gc, release_frozen


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    was = gc.isenabled()
    yield
    gc.unfreeze()
    if was:
        gc.enable()
    else:
        gc.disable()


def test_pauses_nest_and_the_collector_comes_back_after_the_last() -> None:
    gc.enable()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_pause_on_another_thread_keeps_the_collector_off_until_both_end() -> None:
    gc.enable()
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with paused_gc():
            inside.set()
            leave.wait()

    thread = threading.Thread(target=other)
    with paused_gc():
        thread.start()
        inside.wait()
    assert not gc.isenabled()  # the other thread's load is still running
    leave.set()
    thread.join()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with paused_gc():
        pass
    assert not gc.isenabled()


def test_freeze_exempts_what_the_load_built_until_released() -> None:
    gc.unfreeze()
    with paused_gc(freeze=True):
        built = [[i] for i in range(1000)]
    assert gc.get_freeze_count() >= len(built)
    release_frozen()
    assert gc.get_freeze_count() == 0
