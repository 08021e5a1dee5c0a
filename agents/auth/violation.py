"""The user's ``on_violation`` hook: a command that receives each policy escalation as JSON."""

from __future__ import annotations

import asyncio
import logging
import shlex

import orjson

log = logging.getLogger(__name__)


async def run_on_violation(
    command: str, event: dict[str, object], *, timeout_s: float = 10.0
) -> None:
    """Pipe the escalation event as JSON to the user's ``on_violation`` command.

    A failing hook is logged, never fatal: the denial already stands.
    """
    try:
        proc = await asyncio.create_subprocess_exec(
            *shlex.split(command),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
    except (OSError, ValueError) as exc:
        log.warning("on_violation command %r could not start: %s", command, exc)
        return
    try:
        _out, err = await asyncio.wait_for(proc.communicate(orjson.dumps(event) + b"\n"), timeout_s)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        log.warning("on_violation command %r took over %gs and was killed", command, timeout_s)
        return
    if proc.returncode:
        log.warning("on_violation command %r exited %s: %s", command, proc.returncode, err[-500:])
