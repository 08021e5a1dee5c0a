"""Steps that must run to their end even when a cancel arrives in the middle of them.

A session that has begun to finish (stop its agents, record its outcome, write
``session.finished``, release its lease) is past the point where a cancel can change anything;
cut short there, it would leave a session ``running`` forever, or an agent process alive.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def complete(awaitable: Awaitable[T]) -> T:
    """Await ``awaitable`` to its end; a cancel meanwhile is absorbed (the caller's task is
    un-cancelled), since there is nothing left that it could stop."""
    task = asyncio.ensure_future(awaitable)
    while True:
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.done():
                return task.result()
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
