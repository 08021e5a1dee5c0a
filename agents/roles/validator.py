"""The validator (the team's ValidatorAgent): runs the team's checks in the workspace.

Receives the implementer's :class:`~agents.roles.handoffs.ImplementationReport`; when a check
fails it hands a :class:`~agents.roles.handoffs.ValidationFailure` back to the implementer, and
when all pass the workspace becomes a known-good checkpoint. Played by commands, not an agent.

Each check is a real subprocess in its own process group, with the scrubbed environment, no
stdin and a bounded capture of its merged output (the tail, which is where test runners put
their summary). Every check runs, even after a failure, so the implementer hears about every
failure at once. When all pass, the workspace is snapshotted as a known-good checkpoint
(:mod:`agents.checkpoints`); :func:`workspace_digest` gives a content id without git.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import signal
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from agents.checkpoints.recorder import Checkpoints
from agents.roles.handoffs import ImplementationReport, ValidationFailure
from agents.roles.role import Role
from agents.team import Backend, Check, expand
from sessions.schema.flow import ValidationFinished
from sessions.store.event_store import EventStore

VALIDATOR = Role(
    name="validator",
    duty="runs the project's checks for real and sends failures back to the implementer",
    receives=(ImplementationReport,),
    hands_over=(ValidationFailure,),
    prompt="Run the project's checks and report what failed.",
    played_by=frozenset({Backend.COMMAND}),
    may="run the team's checks and read their output; it changes nothing by hand",
)
"""The validator role."""

DEFAULT_OUTPUT_LIMIT = 64_000
"""Bytes of a check's output kept (the last ones)."""

DEFAULT_EXCLUDE = (
    ".git",
    ".venv",
    "node_modules",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
)
"""Directory (and file) names the workspace digest skips at any depth."""

_CHUNK = 64 * 1024
_DRAIN_AFTER_KILL_S = 5.0
"""How long to keep reading after a kill; a grandchild that left the group may hold the pipe."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckOutcome:
    """What one check did: its verdict, exit code, the tail of its output and how long it took."""

    name: str
    command: tuple[str, ...]
    passed: bool
    exit_code: int | None
    output: str
    truncated: bool
    duration_s: float
    timed_out: bool


class _Tail:
    """The last ``limit`` bytes written to it."""

    def __init__(self, limit: int) -> None:
        self.limit = max(0, limit)
        self.truncated = False
        self._buffer = bytearray()

    def add(self, chunk: bytes) -> None:
        self._buffer.extend(chunk)
        # Trim only past twice the limit so a long stream costs amortised O(1) per byte.
        if len(self._buffer) > 2 * self.limit + _CHUNK:
            self._trim()

    def _trim(self) -> None:
        excess = len(self._buffer) - self.limit
        if excess > 0:
            del self._buffer[:excess]
            self.truncated = True

    def text(self) -> str:
        self._trim()
        start = 0
        if self.truncated:
            # Never start with the continuation bytes of a character cut in half.
            while start < min(len(self._buffer), 3) and self._buffer[start] & 0xC0 == 0x80:
                start += 1
        return bytes(self._buffer[start:]).decode("utf-8", errors="replace")


async def _pump(stream: asyncio.StreamReader | None, tail: _Tail) -> None:
    if stream is None:
        return
    while chunk := await stream.read(_CHUNK):
        tail.add(chunk)


def _kill_group(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


Wrap = Callable[[Sequence[str], Path], list[str]]
"""A check's argv and working directory → the argv to execute (the sandbox)."""


async def run_check(
    check: Check,
    *,
    workspace: Path,
    env: Mapping[str, str],
    output_limit: int = DEFAULT_OUTPUT_LIMIT,
    wrap: Wrap | None = None,
) -> CheckOutcome:
    """Run one check in ``workspace`` with exactly ``env``; exit 0 passes.

    Never raises for the check's own failures: a program that cannot be started, a non-zero
    exit and a timeout (which kills the check's whole process group) are all a failed outcome
    whose output says what happened.
    """
    argv = tuple(expand(part) for part in check.command)
    started = time.monotonic()

    def outcome(
        *, passed: bool, code: int | None, output: str, truncated: bool, timed_out: bool
    ) -> CheckOutcome:
        return CheckOutcome(
            name=check.name,
            command=argv,
            passed=passed,
            exit_code=code,
            output=output,
            truncated=truncated,
            duration_s=time.monotonic() - started,
            timed_out=timed_out,
        )

    executed = argv if wrap is None else tuple(wrap(argv, workspace))
    try:
        process = await asyncio.create_subprocess_exec(
            *executed,
            cwd=workspace,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        reason = exc.strerror or str(exc)
        message = f"cannot run {argv[0]!r} in {workspace}: {reason}"
        return outcome(passed=False, code=None, output=message, truncated=False, timed_out=False)

    tail = _Tail(output_limit)
    reader = asyncio.create_task(_pump(process.stdout, tail), name=f"check-{check.name}")
    timed_out = False

    async def finish() -> None:
        # Shielded: a timeout must stop the waiting, not the reading of what is still coming.
        await asyncio.shield(reader)
        await process.wait()

    try:
        try:
            await asyncio.wait_for(finish(), timeout=check.timeout_s)
        except TimeoutError:
            timed_out = True
            _kill_group(process)
            await process.wait()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(reader), timeout=_DRAIN_AFTER_KILL_S)
    finally:
        # Cancelled or failed: leave nothing running behind us.
        _kill_group(process)
        if not reader.done():
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    output = tail.text()
    if timed_out:
        note = f"[timed out after {check.timeout_s:g} s; the check's process group was killed]"
        output = f"{output}\n{note}" if output else note
        return outcome(
            passed=False, code=None, output=output, truncated=tail.truncated, timed_out=True
        )
    code = process.returncode
    return outcome(
        passed=code == 0, code=code, output=output, truncated=tail.truncated, timed_out=False
    )


def _entries(root: Path, exclude: frozenset[str]) -> list[tuple[bytes, bytes, Path]]:
    """``(relative path, kind, absolute path)`` of every file and symlink, not following links."""
    found: list[tuple[bytes, bytes, Path]] = []
    pending: list[tuple[Path, bytes]] = [(root, b"")]
    while pending:
        directory, prefix = pending.pop()
        with os.scandir(directory) as scan:
            for entry in scan:
                if entry.name in exclude:
                    continue
                relative = prefix + os.fsencode(entry.name)
                path = Path(entry.path)
                if entry.is_symlink():
                    found.append((relative, b"L", path))
                elif entry.is_dir(follow_symlinks=False):
                    pending.append((path, relative + b"/"))
                elif entry.is_file(follow_symlinks=False):
                    found.append((relative, b"F", path))
                # Sockets, FIFOs and devices are not content.
    found.sort()
    return found


def _file_digest(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest().encode()


def workspace_digest(workspace: Path, *, exclude: Iterable[str] = DEFAULT_EXCLUDE) -> str:
    """A stable content id of ``workspace``: SHA-256 over its sorted paths and contents.

    Covers every regular file (its relative path and bytes) and every symlink (its target text,
    never followed), skipping any file or directory whose name is in ``exclude``. Timestamps and
    permissions do not count, so an unchanged tree gives the same id on any machine.
    """
    outer = hashlib.sha256()
    for relative, kind, path in _entries(workspace, frozenset(exclude)):
        # NUL separates fields: it can appear in no path and no link target.
        body = os.fsencode(os.readlink(path)) if kind == b"L" else _file_digest(path)
        outer.update(kind + b"\0" + relative + b"\0" + body + b"\0")
    return outer.hexdigest()


class Validator:
    """Runs a team's checks for one session and records each result, then a known-good point."""

    def __init__(
        self,
        store: EventStore,
        *,
        session_id: str,
        workspace: Path,
        checks: Sequence[Check],
        env: Mapping[str, str],
        actor: str = "validator",
        checkpoints: Checkpoints | None = None,
        wrap: Wrap | None = None,
    ) -> None:
        if not checks:
            raise ValueError("a validator needs at least one check")
        self.store = store
        self.session_id = session_id
        self.workspace = workspace
        self.checks = tuple(checks)
        self.env = dict(env)
        self.actor = actor
        self.checkpoints = checkpoints
        self.wrap = wrap

    async def validate(self, *, attempt: int) -> tuple[bool, list[CheckOutcome]]:
        """Run every check in order and record each durably; checkpoint when all pass.

        Returns whether all passed, and every outcome (failures included, in check order).
        """
        outcomes: list[CheckOutcome] = []
        last_seq = 0
        for check in self.checks:
            result = await run_check(check, workspace=self.workspace, env=self.env, wrap=self.wrap)
            outcomes.append(result)
            record = await self.store.append_durable(
                self.session_id,
                self.actor,
                ValidationFinished(
                    check=result.name,
                    passed=result.passed,
                    command=list(result.command),
                    exit_code=result.exit_code,
                    output=result.output,
                    attempt=attempt,
                ),
            )
            last_seq = record.seq
        passed = all(result.passed for result in outcomes)
        if passed and self.checkpoints is not None:
            await self._known_good(attempt, last_seq)
        return passed, outcomes

    async def _known_good(self, attempt: int, last_seq: int) -> None:
        checkpoints = self.checkpoints
        assert checkpoints is not None
        label = f"validated (attempt {attempt})"
        try:
            await checkpoints.take(
                self.session_id,
                label=label,
                known_good=True,
                at_seq=last_seq,
                actor=self.actor,
                workspace=self.workspace,
            )
        except Exception as exc:  # the checks passed; a failed snapshot is reported, not fatal
            await checkpoints.failed(self.session_id, f"at {label}", exc)
