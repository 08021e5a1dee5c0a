"""The ``terminal/*`` exchange of one ``run`` step: create, wait for exit, read output, release."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from acp import Client, RequestError

log = logging.getLogger("agents.demo")


def error_text(exc: RequestError) -> str:
    """One line for a JSON-RPC error from the client: message, code and any data."""
    detail = f" ({exc.data})" if exc.data else ""
    return f"{exc} [code {exc.code}]{detail}"


@dataclass(frozen=True)
class CommandResult:
    """How a command in a client terminal ended, and what it printed."""

    exit_code: int | None
    signal: str | None
    output: str

    @property
    def ending(self) -> str:
        """``exit N`` or the signal that ended it, for messages."""
        return f"exit {self.exit_code}" if self.signal is None else self.signal


async def run_in_terminal(
    client: Client,
    session_id: str,
    command: str,
    *,
    args: list[str],
    cwd: str,
    on_started: Callable[[str], Awaitable[None]],
) -> CommandResult:
    """Run ``command`` in a new client terminal; errors from the client raise ``RequestError``.

    ``on_started`` gets the terminal id as soon as the client created it. The terminal is always
    released, even when waiting or reading its output failed.
    """
    created = await client.create_terminal(
        session_id=session_id, command=command, args=args, cwd=cwd
    )
    terminal_id = created.terminal_id
    try:
        await on_started(terminal_id)
        exited = await client.wait_for_terminal_exit(session_id=session_id, terminal_id=terminal_id)
        output = await client.terminal_output(session_id=session_id, terminal_id=terminal_id)
    finally:
        try:
            await client.release_terminal(session_id=session_id, terminal_id=terminal_id)
        except RequestError as exc:
            log.warning("terminal/release %s: %s", terminal_id, error_text(exc))
    return CommandResult(exited.exit_code, exited.signal, output.output)
