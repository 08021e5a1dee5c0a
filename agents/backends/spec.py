"""What an ACP backend is given (``AgentSpec``) and the errors it raises."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from sessions.errors import QuarterdeckError

AUTH_REQUIRED = -32000
"""ACP's error code for "log in first"."""


class AcpBackendError(QuarterdeckError):
    """The agent could not be started or driven; the message says what to do."""


class AgentDiedError(AcpBackendError):
    """The agent process died or broke the protocol (exit, broken pipe, garbage on stdout)."""

    def __init__(self, message: str, *, exit_code: int | None = None, stderr_tail: str = ""):
        super().__init__(message)
        self.exit_code = exit_code
        self.stderr_tail = stderr_tail


class AgentAuthRequiredError(AcpBackendError):
    """The agent needs a login we cannot do for it; never retried."""


class ProtocolMismatchError(AcpBackendError):
    """The agent speaks another ACP protocol version; never retried."""


@dataclass(frozen=True, kw_only=True)
class AgentSpec:
    """One role's agent, as the team file describes it."""

    command: str
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    """Variables granted to this agent (secrets included), added after scrubbing."""
    mode: str | None = None
    """An ACP mode to set after the session is created."""
    auth_method: str | None = None
    """The ``authMethods`` id to authenticate with, when the team file configures one."""
    secret_vars: frozenset[str] = frozenset()
    """The names in ``env`` that hold granted secrets (the gate asks before they leave)."""
    login_hint: str | None = None
    """How to log this agent in, in the team file's words (shown when it needs a login)."""


class TurnAgent(Protocol):
    """What the orchestrator needs of a role's agent: an ACP process, or a re-drive's tape."""

    async def start(self) -> None:
        """Make the agent ready for its first prompt."""

    async def prompt(self, text: str) -> str:
        """Run one turn; returns the ACP stop reason (``AgentDiedError`` if the agent dies)."""

    async def cancel(self) -> None:
        """End the running turn."""

    async def stop(self) -> None:
        """Stop the agent for good."""
