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

from agents.backends.login import AuthOffer, is_login_error, offers_of
from agents.backends.spec import AgentSpec

CAPABILITIES = ClientCapabilities(
    fs=FileSystemCapabilities(read_text_file=True, write_text_file=True), terminal=True
)
"""What we advertise: exactly what ``BackendClient`` serves."""

Call = Callable[[Awaitable[Any]], Awaitable[Any]]


class LoginNeeded(Exception):
    """The agent wants a login we cannot give it: at which ``step``, and the ways it offers."""

    def __init__(self, offers: list[AuthOffer], detail: str, *, step: str) -> None:
        super().__init__(detail)
        self.offers = offers
        self.step = step


class Refused(Exception):
    """The agent answered a handshake step with an error."""


class VersionMismatch(Exception):
    """The agent speaks another protocol version."""


@dataclass(frozen=True, slots=True)
class Opened:
    """A ready session: the agent's protocol version, its session id, whether that session was
    loaded (``session/load``: the agent remembers it) and the logins it offered."""

    protocol_version: int
    session_id: str
    loaded: bool = False
    offers: tuple[AuthOffer, ...] = ()


async def open_session(
    conn: ClientSideConnection,
    call: Call,
    *,
    spec: AgentSpec,
    workspace: Path,
    resume_id: str | None,
) -> Opened:
    """Run the handshake; ``resume_id`` is loaded when the agent supports ``session/load``.

    An auth-required answer at any step is ``LoginNeeded`` naming that step."""
    try:
        init = await call(
            conn.initialize(
                protocol_version=PROTOCOL_VERSION,
                client_capabilities=CAPABILITIES,
                client_info=Implementation(name="quarterdeck", version="0.1"),
            )
        )
    except RequestError as exc:
        if is_login_error(exc):
            raise LoginNeeded([], str(exc), step="initialize") from exc
        raise Refused(f"initialize: {exc}") from exc
    if init.protocol_version != PROTOCOL_VERSION:
        raise VersionMismatch(
            f"the agent speaks ACP protocol version {init.protocol_version}; "
            f"Quarterdeck speaks {PROTOCOL_VERSION}"
        )
    offers = offers_of(init.auth_methods)
    step = "authenticate"
    loaded = False
    try:
        if spec.auth_method is not None:
            if spec.auth_method not in {o.id for o in offers}:
                detail = f"no login method {spec.auth_method!r} (the team file's auth_method)"
                raise LoginNeeded(offers, detail, step="initialize")
            await call(conn.authenticate(method_id=spec.auth_method))
        # Agents list methods even when already logged in, so with none configured we try the
        # session and only an auth-required answer means a login is needed.
        caps = init.agent_capabilities
        if resume_id is not None and caps is not None and caps.load_session:
            step = "session/load"
            await call(conn.load_session(cwd=str(workspace), session_id=resume_id, mcp_servers=[]))
            session_id, loaded = resume_id, True
        else:
            step = "session/new"
            session = await call(conn.new_session(cwd=str(workspace), mcp_servers=[]))
            session_id = session.session_id
        if spec.mode is not None:
            step = "session/set_mode"
            await call(conn.set_session_mode(session_id=session_id, mode_id=spec.mode))
    except RequestError as exc:
        if is_login_error(exc):
            raise LoginNeeded(offers, str(exc), step=step) from exc
        raise Refused(f"{step}: {exc}") from exc
    return Opened(init.protocol_version, session_id, loaded=loaded, offers=tuple(offers))
