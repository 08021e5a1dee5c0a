"""The agent process's pipes (a JSON-RPC transport over stdin/stdout) and its teardown.

Its stderr is drained by :mod:`agents.backends.stderr_log`.

We hand the SDK a message-level transport instead of the raw streams because the SDK's own
reader logs and skips a line that is not JSON (acp.md §6.11); an agent that prints garbage on
stdout is broken, and we want to say so (``on_invalid``) rather than wait forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
from collections.abc import Callable
from typing import Any

from agents.sandbox.reap import signal_members

logger = logging.getLogger(__name__)

STDOUT_LIMIT = 64 * 1024 * 1024
"""Longest JSON-RPC line we accept (a whole file's content can travel in one)."""


class PipeTransport:
    """Newline-delimited JSON over a process's stdin/stdout, duck-typing ``acp``'s Transport."""

    def __init__(
        self, process: asyncio.subprocess.Process, on_invalid: Callable[[str], None]
    ) -> None:
        assert process.stdin is not None and process.stdout is not None
        self._stdin = process.stdin
        self._stdout = process.stdout
        self._on_invalid = on_invalid
        self._lock = asyncio.Lock()

    async def send(self, message: dict[str, Any]) -> None:
        """Write one message as one line."""
        line = json.dumps(message, ensure_ascii=False, separators=(",", ":")) + "\n"
        async with self._lock:
            if self._stdin.is_closing():
                raise ConnectionError("the agent's stdin is closed")
            self._stdin.write(line.encode("utf-8"))
            await self._stdin.drain()

    async def receive(self) -> dict[str, Any] | None:
        """The next message; None at EOF or after an invalid line (reported to ``on_invalid``)."""
        while True:
            try:
                line = await self._stdout.readline()
            except (ValueError, asyncio.LimitOverrunError):
                self._on_invalid(f"a stdout line longer than {STDOUT_LIMIT} bytes")
                return None
            if not line:
                return None
            text = line.strip()
            if not text:
                continue
            try:
                message = json.loads(text)
            except ValueError:
                self._on_invalid(f"invalid JSON on stdout: {text[:200]!r}")
                return None
            if not isinstance(message, dict):
                self._on_invalid(f"a JSON-RPC message must be an object: {text[:200]!r}")
                return None
            return message

    async def close(self) -> None:
        """Close the agent's stdin: the polite way to ask it to exit."""
        with contextlib.suppress(Exception):
            if not self._stdin.is_closing():
                self._stdin.write_eof()
        with contextlib.suppress(Exception):
            self._stdin.close()


def kill_group(process: asyncio.subprocess.Process, sig: signal.Signals) -> None:
    """Signal the process's whole group (it was started in its own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


async def terminate(
    process: asyncio.subprocess.Process, grace_s: float, *, leader_last: bool = False
) -> int:
    """Wait ``grace_s`` for a voluntary exit, then SIGTERM, then SIGKILL; returns the code.

    ``leader_last`` (a sandbox's ``bwrap``): each signal goes to the rest of the group first,
    so the leader reaps its children and exits by itself (:mod:`agents.sandbox.reap`).
    """
    code: int | None = None
    for sig in (None, signal.SIGTERM, signal.SIGKILL):
        if sig is not None:
            if leader_last:
                signal_members(process.pid, sig)
            else:
                kill_group(process, sig)
        try:
            code = await asyncio.wait_for(process.wait(), grace_s)
            break
        except TimeoutError:
            continue
    if code is None:
        kill_group(process, signal.SIGKILL)
        code = await process.wait()
    # Whatever the agent left running in its group (an MCP server, a watcher) goes with it.
    kill_group(process, signal.SIGKILL)
    return code
