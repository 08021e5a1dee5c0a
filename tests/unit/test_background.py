"""Background tasks: kept until they end, a failure logged as it happens, cancelled on close."""

from __future__ import annotations

import asyncio
import logging

import pytest

from agents.background import Background


async def test_a_failure_is_logged_when_it_happens(caplog: pytest.LogCaptureFixture) -> None:
    tasks = Background("tester")
    failed = tasks.spawn(_fail(), name="doomed")
    await asyncio.gather(failed, return_exceptions=True)
    assert len(tasks) == 0
    logged = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in logged] == ["tester: task doomed failed"]
    assert "ValueError: boom" in caplog.text  # with its traceback


async def test_close_cancels_what_runs_and_what_it_starts_meanwhile() -> None:
    tasks = Background("tester")
    started, cleaned = asyncio.Event(), []

    async def forever(name: str) -> None:
        try:
            started.set()
            await asyncio.Event().wait()
        finally:
            cleaned.append(name)
            if name == "first":  # a task that starts another while being cancelled
                tasks.spawn(forever("second"))

    tasks.spawn(forever("first"))
    await started.wait()
    await tasks.close()
    assert cleaned == ["first", "second"] and len(tasks) == 0 and tasks.closed


async def test_close_without_cancel_waits_for_tasks_told_to_stop() -> None:
    tasks, stop = Background("tester"), asyncio.Event()
    ended: list[bool] = []

    async def worker() -> None:
        await stop.wait()
        ended.append(True)

    tasks.spawn(worker())
    stop.set()
    await tasks.close(cancel=False)
    assert ended == [True]


async def _fail() -> None:
    raise ValueError("boom")
