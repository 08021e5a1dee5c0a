"""Hot reload: look at the policy file once a second and reload it, debounced, as one worker.

The file's identity and size and times (``os.stat``) are compared with the last look: an
editor that saves by writing a temporary file and renaming it over the original gives the path
a new inode, one that writes in place a new size or time, and a deleted file none at all. A
change is taken in once the file has stayed the same for ``debounce_ms``, so a save in several
writes is one reload. A look is one ``stat`` on a worker thread; between looks nothing runs.
(A file watcher woke its thread twenty times a second to ask whether it should stop: a fifth
of the idle console's CPU.)
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from agents.auth.holder import PolicyHolder, ReloadResult
from sessions.schema.base import SYSTEM_SESSION, Payload
from sessions.schema.policy import PolicyRejected, PolicyReloaded
from sessions.store.event_store import EventStore

Signature = tuple[int, int, int, int] | None
"""What a look at the file sees: inode, size, modification and change times (None: no file)."""


def signature(path: Path) -> Signature:
    """The file's inode, size and times now; ``None`` when it does not exist."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


async def watch_policy(
    holder: PolicyHolder,
    *,
    debounce_ms: int = 300,
    interval_s: float = 1.0,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    """Reload ``holder`` whenever its file changes (looked at every ``interval_s``), until
    ``stop`` is set.

    ``ready`` is set once the first look is taken, so callers (and tests) can wait for it
    instead of sleeping.
    """
    path = holder.path
    if path is None:
        return
    stop = stop if stop is not None else asyncio.Event()
    seen = await asyncio.to_thread(signature, path)
    if ready is not None:
        ready.set()
    while not await _stopped(stop, interval_s):
        now = await asyncio.to_thread(signature, path)
        if now == seen:
            continue
        while not await _stopped(stop, debounce_ms / 1000):  # until it stays the same
            settled = await asyncio.to_thread(signature, path)
            if settled == now:
                break
            now = settled
        else:
            return
        seen = now
        holder.load()


async def _stopped(stop: asyncio.Event, wait_s: float) -> bool:
    """Wait ``wait_s`` or until ``stop`` is set; whether it is."""
    try:
        await asyncio.wait_for(stop.wait(), wait_s)
    except TimeoutError:
        return False
    return True


def record_policy_changes(holder: PolicyHolder, store: EventStore) -> None:
    """Record every load attempt as ``policy.reloaded`` or ``policy.rejected`` in the log."""

    def record(result: ReloadResult) -> None:
        payload: Payload
        if result.ok:
            assert result.policy_hash is not None
            payload = PolicyReloaded(
                path=result.path, policy_hash=result.policy_hash, rules=result.rules
            )
        else:
            payload = PolicyRejected(
                path=result.path, errors=list(result.errors), kept_hash=result.kept_hash
            )
        store.append(SYSTEM_SESSION, "auth", payload)

    holder.on_change(record)
