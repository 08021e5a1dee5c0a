"""Tasks started in the background by an owner that keeps them: none is dropped or goes silent.

``asyncio`` holds only a weak reference to a running task: one that nobody keeps can vanish
mid-run, its failure is reported (if ever) when it is garbage-collected, and nothing cancels it
when its owner stops. Whoever starts a task it does not await right away starts it through its
own :class:`Background`: the task is kept until it ends, a failure is logged as it happens, and
the owner's shutdown cancels and awaits what still runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class Background:
    """The background tasks of one owner (``owner`` names it in the log)."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.closed = False
        """Set by :meth:`close`: the owner should start nothing more."""
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        """How many tasks still run."""
        return len(self._tasks)

    def spawn(
        self, work: Coroutine[Any, Any, Any], *, name: str | None = None
    ) -> asyncio.Task[Any]:
        """Run ``work`` as a task kept until it ends."""
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._ended)
        return task

    def _ended(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("%s: task %s failed", self.owner, task.get_name(), exc_info=error)

    async def close(self, *, cancel: bool = True) -> None:
        """Cancel every task still running, and any started meanwhile, and wait for them
        (``cancel=False``: only wait, for tasks that were told to stop some other way)."""
        self.closed = True
        while self._tasks:
            tasks = list(self._tasks)
            for task in tasks if cancel else ():
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)  # failures: logged in _ended
