"""The demo agent: a real ACP agent (SDK agent side) whose every turn is read from a playbook."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from uuid import uuid4

from acp import (
    PROTOCOL_VERSION,
    Client,
    InitializeResponse,
    NewSessionResponse,
    PromptResponse,
    RequestError,
)
from acp.schema import AgentCapabilities, ClientCapabilities, Implementation

from agents.demo.playbook import Playbook
from agents.demo.session import DemoSession
from agents.demo.turn import Turn

log = logging.getLogger("agents.demo")

AGENT_NAME = "quarterdeck-demo"
"""The ``agentInfo.name`` the demo agent announces."""

AGENT_VERSION = "0.1.0"
"""The ``agentInfo.version`` the demo agent announces."""


class DemoAgent:
    """An ACP agent that plays a playbook: one step list per prompt, no model behind it."""

    def __init__(self, playbook: Playbook, *, speed: float = 1.0, first_attempt: int = 1) -> None:
        self._playbook = playbook
        self._speed = speed
        self._first_attempt = first_attempt
        self._client: Client | None = None
        self._capabilities = ClientCapabilities()
        self._sessions: dict[str, DemoSession] = {}

    def on_connect(self, conn: Client) -> None:
        """Keep the connection: it is how the agent calls the client."""
        self._client = conn

    async def initialize(
        self,
        protocol_version: int,
        client_capabilities: ClientCapabilities | None = None,
        client_info: Implementation | None = None,
        **kwargs: Any,
    ) -> InitializeResponse:
        """Answer protocol version 1 and remember what the client can serve."""
        # Omitted capabilities count as unsupported: the SDK's defaults are all False.
        self._capabilities = client_capabilities or ClientCapabilities()
        log.info(
            "initialize: client %s, protocol %s, capabilities %s",
            client_info.name if client_info else "?",
            protocol_version,
            self._capabilities.model_dump(exclude_none=True),
        )
        return InitializeResponse(
            protocol_version=PROTOCOL_VERSION,
            agent_capabilities=AgentCapabilities(load_session=False),
            auth_methods=[],
            agent_info=Implementation(
                name=AGENT_NAME, title="Quarterdeck demo agent", version=AGENT_VERSION
            ),
        )

    async def new_session(
        self, cwd: str, mcp_servers: Any = None, **kwargs: Any
    ) -> NewSessionResponse:
        """Open a session rooted at ``cwd``; relative playbook paths resolve against it."""
        if not Path(cwd).is_absolute():
            raise RequestError.invalid_params({"cwd": cwd, "reason": "must be an absolute path"})
        session_id = f"demo-{uuid4().hex[:12]}"
        self._sessions[session_id] = DemoSession(
            session_id=session_id, cwd=Path(cwd), attempt=self._first_attempt
        )
        log.info("session %s in %s (playbook %s)", session_id, cwd, self._playbook.name)
        return NewSessionResponse(session_id=session_id)

    async def prompt(self, prompt: list[Any], session_id: str, **kwargs: Any) -> PromptResponse:
        """Play this session's next attempt; the stop reason is ``end_turn`` or ``cancelled``."""
        session = self._sessions.get(session_id)
        if session is None:
            raise RequestError.invalid_params(
                {"sessionId": session_id, "reason": "unknown session"}
            )
        if session.busy:
            raise RequestError.invalid_request({"reason": "a prompt is already running"})
        if self._client is None:  # pragma: no cover - run_agent always connects first
            raise RequestError.internal_error({"reason": "not connected"})
        session.busy = True
        session.cancelled.clear()
        steps = self._playbook.steps_for(session.attempt)
        log.info("prompt in %s: attempt %d, %d steps", session_id, session.attempt, len(steps))
        try:
            turn = Turn(self._client, session, self._capabilities, speed=self._speed)
            stop_reason = await turn.play(steps)
        finally:
            session.busy = False
            session.attempt += 1
        log.info("prompt in %s ended: %s", session_id, stop_reason)
        return PromptResponse(stop_reason=stop_reason)

    async def cancel(self, session_id: str, **kwargs: Any) -> None:
        """Ask the running turn to stop at its next step boundary (or pause)."""
        session = self._sessions.get(session_id)
        if session is None:
            log.warning("cancel for unknown session %s", session_id)
            return
        log.info("cancel requested in %s", session_id)
        session.cancelled.set()
