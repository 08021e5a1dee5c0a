"""Telling a missing login from any other refusal, and saying how to fix it.

Agents report a missing login at different steps (real-agents.md): at ``initialize`` or
``authenticate``, at ``session/new`` or ``session/load`` (Gemini CLI), or only at the first
``session/prompt`` (the Claude adapter). ACP's answer is JSON-RPC error -32000 "Authentication
required"; some agents say it in words under another code. Wherever it comes, it is one fact
for the user: which agent needs which login, and how to give it one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acp import RequestError

from agents.backends.spec import AUTH_REQUIRED

_WORDS = re.compile(
    r"auth(entication|orization)?[ _-]?required|not (logged|signed) in|log ?in required"
    r"|please (log|sign) ?in|unauthenticated",
    re.IGNORECASE,
)
"""How agents that use another error code say "log in first"."""


@dataclass(frozen=True, slots=True)
class AuthOffer:
    """One way to log in that an agent offered at ``initialize`` (its ``authMethods``)."""

    id: str
    name: str = ""
    description: str = ""
    env_vars: tuple[str, ...] = ()
    """For an ``env_var`` method: the variables the agent reads its key from."""

    def describe(self) -> str:
        """``id`` with its name, description and variables, for a human."""
        words = " — ".join(p for p in (self.name, self.description) if p and p != self.id)
        if self.env_vars:
            words = f"{words}; set {', '.join(self.env_vars)}".lstrip("; ")
        return f"{self.id} ({words})" if words else self.id


def offers_of(methods: Sequence[Any] | None) -> list[AuthOffer]:
    """The login methods of an ``InitializeResponse.auth_methods`` list."""
    offers = []
    for method in methods or ():
        variables = getattr(method, "vars", None) or ()
        offers.append(
            AuthOffer(
                id=str(getattr(method, "id", "?")),
                name=str(getattr(method, "name", "") or ""),
                description=str(getattr(method, "description", "") or ""),
                env_vars=tuple(str(getattr(v, "name", v)) for v in variables),
            )
        )
    return offers


def is_login_error(exc: RequestError) -> bool:
    """Whether the agent's error answer means "log in first"."""
    if exc.code == AUTH_REQUIRED:
        return True
    data = exc.data if isinstance(exc.data, (str, dict)) else ""
    return bool(_WORDS.search(f"{exc} {data}"))


def login_reason(
    *,
    agent_id: str,
    command: str,
    step: str,
    detail: str,
    offers: Sequence[AuthOffer],
    hint: str | None,
    log_path: Path | None = None,
) -> str:
    """The one line a user reads: who needs which login, where it was asked, and what to do."""
    program = Path(command).name
    lines = [f"agent {agent_id} ({program}) needs a login: it answered {step} with {detail!r}."]
    if hint:
        lines.append(f"The team file says: {hint}.")
    if offers:
        listed = "; ".join(o.describe() for o in offers)
        lines.append(
            f"It offers: {listed}. Log in with {program}'s own command line, or set"
            ' auth_method = "<id>" for this role in the team file.'
        )
    elif not hint:
        lines.append(
            f"It offers no login method over ACP: log in with {program}'s own command line"
            " (or give it its API key through the role's env or secrets), or put the way in"
            " login_hint for this role in the team file."
        )
    lines.append("Then run the session again.")
    if log_path is not None:
        lines.append(f"Agent log: {log_path}")
    return " ".join(lines)
