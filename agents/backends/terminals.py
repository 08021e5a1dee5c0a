"""Processes started for an agent's ``terminal/*`` requests: bounded output, no orphans.

Each command runs in its own process group so ``kill`` (and our shutdown) reaches everything it
spawned. Output (stdout and stderr merged, as a terminal shows them) keeps only the last
``limit`` bytes, cut at a character boundary, as ACP specifies.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable

from agents.sandbox.reap import signal_members

DEFAULT_OUTPUT_LIMIT = 1024 * 1024
"""Bytes of output kept per terminal when the agent gives no ``outputByteLimit``."""

_CHUNK = 64 * 1024

LEADER_GRACE_S = 2.0
"""How long a sandboxed command's ``bwrap`` gets to reap its namespace before it is killed too."""


class Terminal:
    """One running (or finished) command and its bounded output."""

    def __init__(
        self,
        terminal_id: str,
        process: asyncio.subprocess.Process,
        *,
        limit: int = DEFAULT_OUTPUT_LIMIT,
        on_exit: Callable[[Terminal], Awaitable[None]] | None = None,
        on_output: Callable[[bytes], None] | None = None,
        leader_last: bool = False,
    ) -> None:
        self.terminal_id = terminal_id
        self.process = process
        self.limit = max(0, limit)
        self.truncated = False
        self._buffer = bytearray()
        self._on_exit = on_exit
        self._on_output = on_output
        self._leader_last = leader_last
        """Sandboxed (``bwrap`` leads the group): kill the rest first, see agents.sandbox.reap."""
        self._exited = asyncio.Event()
        self._pump = asyncio.create_task(self._read(), name=f"terminal-{terminal_id}")

    @property
    def returncode(self) -> int | None:
        """The exit code once the command has exited and its output was read."""
        return self.process.returncode if self._exited.is_set() else None

    def output(self) -> str:
        """The output kept so far, decoded leniently."""
        return self._buffer.decode("utf-8", errors="replace")

    def exit_status(self) -> tuple[int | None, str | None]:
        """``(exit_code, signal_name)`` after exit; a signal death has no exit code."""
        code = self.returncode
        if code is None:
            return None, None
        if code < 0:
            try:
                return None, signal.Signals(-code).name
            except ValueError:
                return None, str(-code)
        return code, None

    async def wait(self) -> None:
        """Return once the command exited, its output is read and its result recorded."""
        await self._exited.wait()

    async def kill(self) -> None:
        """Kill the command's whole process group and wait for it."""
        if self.process.returncode is None:
            if self._leader_last and signal_members(self.process.pid, signal.SIGKILL):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self._exited.wait()), LEADER_GRACE_S)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
        await self.wait()

    def _keep(self, chunk: bytes) -> None:
        self._buffer.extend(chunk)
        excess = len(self._buffer) - self.limit
        if excess > 0:
            # Drop from the front, then skip UTF-8 continuation bytes so we never keep half
            # a character at the start.
            while excess < len(self._buffer) and self._buffer[excess] & 0xC0 == 0x80:
                excess += 1
            del self._buffer[:excess]
            self.truncated = True

    async def _read(self) -> None:
        stream = self.process.stdout
        try:
            if stream is not None:
                while chunk := await stream.read(_CHUNK):
                    self._keep(chunk)
                    if self._on_output is not None:
                        self._on_output(chunk)
            await self.process.wait()
            if self._on_exit is not None:
                await self._on_exit(self)
        finally:
            self._exited.set()
