"""An agent's stderr: drained continuously, masked line by line, kept in size-capped files.

A pipe nobody reads fills at 64 KB and then blocks the agent (acp.md §5.2), so stderr is read
as it comes. What an agent prints can hold a secret it was given (an API key in a debug line),
and an agent can print without end (a progress meter, a crash loop): every line goes through
the same redaction funnel as the event log before it reaches a file, and the file rotates at
``max_bytes`` keeping ``backups`` older ones, so one agent never holds more than
``max_bytes × (backups + 1)`` of disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

logger = logging.getLogger(__name__)

STDERR_TAIL = 4096
"""Characters of an agent's (masked) stderr kept in memory for ``agent.failed``."""

LONGEST_LINE = 16 * 1024
"""A line without a newline is cut (and masked) at this many bytes, so memory stays bounded."""

_READ = 64 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class LogLimits:
    """How much of an agent's stderr is kept on disk: ``[logs]`` in ``config.toml``."""

    max_bytes: int = 2 * 1024 * 1024
    """Size at which the file rotates."""
    backups: int = 2
    """Rotated files kept (``.1`` is the newest); 0 keeps only the current file."""


class RotatingFile:
    """Bytes appended to ``path``; past ``max_bytes`` it becomes ``path.1`` (and so on)."""

    def __init__(self, path: Path, limits: LogLimits) -> None:
        self.path = path
        self.limits = limits
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: BinaryIO = path.open("ab")
        self._size = self._file.tell()

    def write(self, data: bytes) -> None:
        """Append ``data``, rotating first when it would not fit."""
        if self._size and self._size + len(data) > self.limits.max_bytes:
            self._rotate()
        self._file.write(data)
        self._file.flush()
        self._size += len(data)

    def _rotate(self) -> None:
        self._file.close()
        backups = self.limits.backups
        if backups <= 0:
            self._file = self.path.open("wb")
        else:
            oldest = self.path.with_name(f"{self.path.name}.{backups}")
            oldest.unlink(missing_ok=True)
            for number in range(backups - 1, 0, -1):
                older = self.path.with_name(f"{self.path.name}.{number}")
                if older.exists():
                    older.rename(self.path.with_name(f"{self.path.name}.{number + 1}"))
            self.path.rename(self.path.with_name(f"{self.path.name}.1"))
            self._file = self.path.open("ab")
        self._size = 0

    def close(self) -> None:
        """Close the current file."""
        self._file.close()


class StderrDrain:
    """Reads an agent's stderr into a masked, rotating log file and keeps its tail in memory."""

    def __init__(
        self,
        stream: asyncio.StreamReader,
        log_path: Path,
        *,
        redact: Callable[[str], str] | None = None,
        limits: LogLimits | None = None,
    ) -> None:
        self.log_path = log_path
        self._redact = redact
        self._limits = limits if limits is not None else LogLimits()
        self._tail: deque[str] = deque()
        self._tail_size = 0
        self._partial = b""
        self._task = asyncio.create_task(self._run(stream), name=f"stderr-{log_path.name}")

    def tail(self) -> str:
        """The last ~4 KB of stderr, masked."""
        return "".join(self._tail)[-STDERR_TAIL:]

    async def finished(self) -> None:
        """Return once stderr hit EOF (the process and its children closed it)."""
        await asyncio.shield(self._task)

    def cancel(self) -> None:
        """Stop reading (a grandchild may hold stderr open after the agent died)."""
        self._task.cancel()

    def lines(self, chunk: bytes, *, final: bool = False) -> list[str]:
        """The masked text of the whole lines ``chunk`` completes (all of it when ``final``)."""
        data = self._partial + chunk
        cut = data.rfind(b"\n") + 1
        if final:
            cut = len(data)
        elif cut == 0 and len(data) >= LONGEST_LINE:
            cut = len(data)  # no newline in sight: mask and keep what we have
        self._partial = data[cut:]
        if not cut:
            return []
        text = data[:cut].decode("utf-8", errors="replace")
        masked = text.splitlines(keepends=True)
        if self._redact is not None:
            masked = [self._redact(line) for line in masked]
        return masked

    def _keep(self, lines: list[str]) -> None:
        for line in lines:
            self._tail.append(line)
            self._tail_size += len(line)
        while self._tail and self._tail_size - len(self._tail[0]) >= STDERR_TAIL:
            self._tail_size -= len(self._tail.popleft())

    def _open(self) -> RotatingFile | None:
        try:
            return RotatingFile(self.log_path, self._limits)
        except OSError as exc:
            # Keep draining anyway: an unwritable log must not become a blocked agent.
            logger.warning("cannot write the agent log %s: %s", self.log_path, exc)
            return None

    async def _run(self, stream: asyncio.StreamReader) -> None:
        log = self._open()
        try:
            while True:
                chunk = await stream.read(_READ)
                lines = self.lines(chunk, final=not chunk)
                self._keep(lines)
                if log is not None and lines:
                    try:
                        log.write("".join(lines).encode("utf-8"))
                    except OSError as exc:
                        logger.warning("agent log %s stopped: %s", self.log_path, exc)
                        with contextlib.suppress(OSError):
                            log.close()
                        log = None
                if not chunk:
                    break
        finally:
            if log is not None:
                with contextlib.suppress(OSError):
                    log.close()
