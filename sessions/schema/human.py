"""A person's messages to a session's agents: sent, then delivered or dropped.

ACP v1 has no way to steer a turn, so a message to an agent in a turn waits for the turn's
end; one to an agent between turns goes with its next prompt. Each message is one
``human.message`` when sent, and one ``human.message_delivered`` (or ``human.message_dropped``,
when the session ended first) naming it by ``message_id``.
"""

from __future__ import annotations

from typing import Literal

from sessions.schema.base import Payload


class HumanMessage(Payload):
    """A person wrote to one agent of the session (it waits until the agent is told)."""

    KIND = "human.message"

    message_id: str
    agent_id: str
    role: str
    text: str
    by: str
    """Who wrote it (the user name of the console that sent it)."""


class HumanMessageDelivered(Payload):
    """A message reached its agent: as a prompt after its turn, or with its next prompt."""

    KIND = "human.message_delivered"

    message_id: str
    agent_id: str
    how: Literal["after_turn", "next_prompt"]
    """``after_turn``: sent while the agent worked, prompted when that turn ended;
    ``next_prompt``: joined to the next prompt the workflow sent the agent."""


class HumanMessageDropped(Payload):
    """A message never reached its agent: the session ended before the agent's next prompt."""

    KIND = "human.message_dropped"

    message_id: str
    agent_id: str
    reason: str
