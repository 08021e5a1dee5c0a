"""People's messages to a session's agents: recorded when sent, held, delivered once.

ACP v1 cannot steer a turn, so nothing is pushed into one. A message waits in its agent's
queue and reaches the agent at the first of two moments:

- the agent's current turn ends: the runner prompts the same agent again with the messages
  before the workflow goes on (``after_turn``);
- the workflow sends the agent its next prompt: the messages are joined to it (``next_prompt``);
  an agent not started yet hears them in its first prompt.

While the session is paused the message waits like any other (the next turn comes after
resume). Each message is a ``human.message`` when sent and a ``human.message_delivered`` when
its agent got it; those still queued when the session ends are ``human.message_dropped``.

With no role named, a message goes to the agent in a turn, else the one whose turn was last,
else the first agent of the workflow: the one a person watching the console is looking at.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from agents.roles.roster import agent_id
from agents.team import Backend, Team
from sessions.errors import QuarterdeckError
from sessions.schema.base import Payload
from sessions.schema.human import HumanMessage, HumanMessageDelivered, HumanMessageDropped

AGENT_BACKENDS = frozenset({Backend.ACP, Backend.DEMO})
"""Backends that take prompts: only their roles can be talked to."""

Emit = Callable[[Payload, str], Awaitable[int]]
"""Appends one event with an actor (the runner's ``_emit``)."""


class TalkError(QuarterdeckError):
    """A message that cannot be sent (no such agent, nothing to say); says why."""


@dataclass(frozen=True, slots=True)
class Held:
    """One message waiting for its agent."""

    message_id: str
    text: str
    by: str


def _lines(messages: list[Held]) -> list[str]:
    return [f"- {m.by}: {m.text}" for m in messages]


def joined(prompt: str, messages: list[Held]) -> str:
    """``prompt`` with the messages for its agent after it."""
    if not messages:
        return prompt
    return "\n".join([prompt, "", "Messages from the people supervising you:", *_lines(messages)])


def follow_up(messages: list[Held]) -> str:
    """The prompt that delivers messages sent while the agent was in its turn."""
    return "\n".join(
        [
            "While you worked, the people supervising you wrote (answer or act on it, then"
            " end your turn):",
            *_lines(messages),
        ]
    )


class Talk:
    """One session's messages, per role: what the runner asks before and after each turn."""

    def __init__(self, emit: Emit, team: Team) -> None:
        self._emit = emit
        self._team = team
        self._held: dict[str, list[Held]] = {}
        self.last_role: str | None = None
        """The role whose turn began last (the target when no agent is in a turn)."""

    def target(self, role: str | None, *, turn_role: str | None) -> str:
        """The role a message goes to: ``role`` if it is an agent of the team, else the
        default (see the module's docstring)."""
        agents = [
            name
            for name in self._team.steps()
            if self._team.roles[name].backend in AGENT_BACKENDS  # type: ignore[index]
        ]
        if role is not None:
            if role not in agents:
                can = ", ".join(agents) or "none"
                raise TalkError(f"no agent plays {role!r} in this team (agents: {can})")
            return role
        chosen = turn_role or self.last_role or (agents[0] if agents else None)
        if chosen is None:
            raise TalkError("this team has no agent to talk to")
        return chosen

    async def post(
        self, text: str, *, role: str | None, by: str, turn_role: str | None, paused: bool
    ) -> str:
        """Record a message and hold it for its agent; returns what happens next, in words."""
        text = text.strip()
        if not text:
            raise TalkError("the message is empty")
        role = self.target(role, turn_role=turn_role)
        message = Held(uuid.uuid4().hex, text, by)
        event = HumanMessage(
            message_id=message.message_id, agent_id=agent_id(role), role=role, text=text, by=by
        )
        await self._emit(event, f"human:{by}")
        self._held.setdefault(role, []).append(message)  # after the event: delivered after it
        if role == turn_role:
            return f"queued: the {role} is in a turn and hears this when it ends"
        if paused:
            return f"the session is paused: the {role} hears this with its next prompt"
        return f"the {role} hears this with its next prompt"

    async def take(self, role: str, how: Literal["after_turn", "next_prompt"]) -> list[Held]:
        """The messages held for ``role``, recorded as delivered ``how`` (none: an empty list)."""
        messages = self._held.pop(role, [])
        for m in messages:
            delivered = HumanMessageDelivered(
                message_id=m.message_id, agent_id=agent_id(role), how=how
            )
            await self._emit(delivered, "orchestrator")
        return messages

    async def drop_all(self, reason: str) -> None:
        """Record every message still held as never delivered (the session is ending)."""
        held, self._held = self._held, {}
        for role, messages in held.items():
            for m in messages:
                dropped = HumanMessageDropped(
                    message_id=m.message_id, agent_id=agent_id(role), reason=reason
                )
                await self._emit(dropped, "orchestrator")
