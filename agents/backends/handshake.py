"""The ACP handshake: initialize (with a version check), log in if configured, open a session.

Pure protocol: it raises typed reasons and leaves recording them (and tearing down) to the
caller. ``call`` awaits one request while watching for the agent's death.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acp import PROTOCOL_VERSION, RequestError
from acp.client.connection import ClientSideConnection
from acp.schema import ClientCapabilities, FileSystemCapabilities, Implementation

from agents.backends.spec import AUTH_REQUIRED, AgentSpec

CAPABILITIES = ClientCapabilities(
    fs=FileSystemCapabilities(read_text_file=True, write_text_file=True), terminal=True
)
"""What we advertise: exactly what ``BackendClient`` serves."""

Call = Callable[[Awaitable[Any]], Awaitable[Any]]


class LoginNeeded(Exception):
    """The agent wants a login we cannot give it."""

    def __init__(self, methods: list[str], detail: str) -> None:
        super().__init__(detail)
        self.methods = methods


class Refused(Exception):
    """The agent answered a handshake step with an error."""


class VersionMismatch(Exception):
    """The agent speaks another protocol version."""


@dataclass(frozen=True, slots=True)
class Opened:
    """A ready session: the agent's protocol version and its session id."""

    protocol_version: int
    session_id: str


async def open_session(
    conn: ClientSideConnection,
    call: Call,
    *,
    spec: AgentSpec,
    workspace: Path,
    resume_id: str | None,
) -> Opened:
    """Run the handshake; ``resume_id`` is loaded when the agent supports ``session/load``."""
    try:
        init = await call(
            conn.initialize(
                protocol_version=PROTOCOL_VERSION,
                client_capabilities=CAPABILITIES,
                client_info=Implementation(name="quarterdeck", version="0.1"),
            )
        )
    except RequestError as exc:
        raise Refused(f"initialize: {exc}") from exc
    if init.protocol_version != PROTOCOL_VERSION:
        raise VersionMismatch(
            f"the agent speaks ACP protocol version {init.protocol_version}; "
            f"Quarterdeck speaks {PROTOCOL_VERSION}"
        )
    methods = [m.id for m in init.auth_methods or []]
    try:
        if spec.auth_method is not None:
            if spec.auth_method not in methods:
                raise LoginNeeded(methods, f"it offers no method {spec.auth_method!r}")
            await call(conn.authenticate(method_id=spec.auth_method))
        # Agents list methods even when already logged in, so with none configured we try the
        # session and only an auth-required answer means a login is needed.
        caps = init.agent_capabilities
        if resume_id is not None and caps is not None and caps.load_session:
            await call(conn.load_session(cwd=str(workspace), session_id=resume_id, mcp_servers=[]))
            session_id = resume_id
        else:
            session = await call(conn.new_session(cwd=str(workspace), mcp_servers=[]))
            session_id = session.session_id
        if spec.mode is not None:
            await call(conn.set_session_mode(session_id=session_id, mode_id=spec.mode))
    except RequestError as exc:
        if exc.code == AUTH_REQUIRED:
            raise LoginNeeded(methods, str(exc)) from exc
        raise Refused(f"session setup: {exc}") from exc
    return Opened(init.protocol_version, session_id)
