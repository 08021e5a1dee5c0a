"""Hot reload: watch the policy file's directory and reload, debounced, as one worker.

Watching the directory rather than the file survives editors that save by writing a temporary
file and renaming it over the original (the file's inode changes every save). Changes arriving
within ``debounce_ms`` are taken as one, so a save never causes a storm of reloads.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from watchfiles import awatch

from agents.auth.holder import PolicyHolder, ReloadResult
from sessions.schema.base import SYSTEM_SESSION, Payload
from sessions.schema.policy import PolicyRejected, PolicyReloaded
from sessions.store.event_store import EventStore


async def watch_policy(
    holder: PolicyHolder,
    *,
    debounce_ms: int = 300,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    """Reload ``holder`` whenever its file changes, until ``stop`` is set.

    ``ready`` is set once the watcher is installed, so callers (and tests) can wait for it
    instead of sleeping.
    """
    path = holder.path
    if path is None:
        return
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    name = path.name
    watcher = awatch(
        directory,
        debounce=debounce_ms,
        step=50,
        stop_event=stop,
        recursive=False,
        watch_filter=lambda _change, changed: Path(changed).name == name,
        yield_on_timeout=ready is not None,
        rust_timeout=200 if ready is not None else 5000,
    )
    async for changes in watcher:
        if ready is not None:
            ready.set()  # the first yield (a change or a timeout) means the watch is in place
        if changes:
            holder.load()


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
