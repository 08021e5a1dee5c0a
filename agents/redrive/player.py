"""The agent's side of a re-drive: a transport that plays one agent's recorded frames.

The client's real ``ClientSideConnection`` talks to :class:`TapeTransport` instead of a pipe.
:func:`play_turn` sends, in recorded order, everything the agent sent during one prompt — its
notifications, its requests, finally its answer to the prompt — and wherever the recording has
our answer to one of its requests, it first waits for the new client's answer and compares the
two. Waiting there keeps the recorded order of cause and effect, so every re-drive of a log
interleaves the same way.
"""

from __future__ import annotations

import asyncio
from typing import Any

from agents.redrive.journal import Divergence, Journal, Kind
from agents.redrive.tape import PERMISSION, Exchange, Turn

_ALLOW_KINDS = ("allow_once", "allow_always")


class TapeTransport:
    """A message transport (duck-typing the SDK's) whose far end is a recorded agent."""

    def __init__(self) -> None:
        self._inbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._prompts: asyncio.Queue[object] = asyncio.Queue()
        self._answers: dict[object, asyncio.Future[dict[str, Any]]] = {}
        self.closed = False

    async def send(self, message: dict[str, Any]) -> None:
        """What the client sends: a prompt starts a turn; an answer goes to whoever waits."""
        if self.closed:
            raise ConnectionError("the re-driven agent is stopped")
        if message.get("method") == "session/prompt" and "id" in message:
            self._prompts.put_nowait(message["id"])
        elif "method" not in message and "id" in message:
            answer = self._answer(message["id"])
            if not answer.done():
                answer.set_result(message)
        # Anything else (session/cancel) changes nothing: the recorded turn is what it was.

    async def receive(self) -> dict[str, Any] | None:
        """The next frame of the recorded agent; None once stopped."""
        return await self._inbox.get()

    async def close(self) -> None:
        """End the conversation: the client's receive loop sees end of file."""
        if not self.closed:
            self.closed = True
            self._inbox.put_nowait(None)

    def push(self, message: dict[str, Any]) -> None:
        """Deliver a recorded frame to the client."""
        if not self.closed:
            self._inbox.put_nowait(message)

    async def next_prompt(self) -> object:
        """The id of the client's next ``session/prompt`` request."""
        return await self._prompts.get()

    async def answer_to(self, request_id: object) -> dict[str, Any]:
        """The client's answer to the agent's request ``request_id``."""
        return await self._answer(request_id)

    def _answer(self, request_id: object) -> asyncio.Future[dict[str, Any]]:
        if request_id not in self._answers:
            self._answers[request_id] = asyncio.get_running_loop().create_future()
        return self._answers[request_id]


async def play_turn(
    turn: Turn, transport: TapeTransport, journal: Journal, *, agent_id: str
) -> bool:
    """Play one recorded turn; True if the agent answered the prompt in the recording.

    Stops early (returning False) when the client answered a request differently: the journal
    has the divergence and has halted the run.
    """
    prompt_id = await transport.next_prompt()
    recorded_id = turn.prompt.request_id
    for frame in turn.frames:
        message = frame.message
        if frame.direction == "in":
            if frame.is_response and frame.request_id == recorded_id:
                transport.push({**message, "id": prompt_id})
            elif not frame.is_response:  # a notification, or a request of the agent's
                transport.push(message)
            continue
        if not frame.is_response:  # a request or notification of ours (a cancel): not replayed
            continue
        exchange = turn.by_id.get(frame.request_id)
        actual = await transport.answer_to(frame.request_id)
        if exchange is not None:
            _missed_decisions(exchange, journal, agent_id)
        if not same_answer(message, actual, exchange):
            journal.halt(
                Divergence(
                    seq=frame.seq,
                    kind=Kind.ANSWER,
                    expected=describe(message, exchange),
                    actual=describe(actual, exchange),
                    agent_id=agent_id,
                    detail=f"{frame.method or 'request'} {frame.request_id}",
                )
            )
            return False
    return turn.answered


def _missed_decisions(exchange: Exchange, journal: Journal, agent_id: str) -> None:
    for call in exchange.missed():
        journal.decided.add(call.requested_seq)
        journal.note(
            Divergence(
                seq=call.seq,
                kind=Kind.DECISION,
                expected=call.verdict or "ask",
                actual="not decided",
                agent_id=agent_id,
                detail=call.subject,
            )
        )
    exchange.taken = len(exchange.calls)


def _allowed(outcome: dict[str, Any], exchange: Exchange | None) -> bool:
    if outcome.get("outcome") != "selected" or exchange is None:
        return False
    options = exchange.params.get("options")
    kinds = {o.get("optionId"): o.get("kind") for o in options or [] if isinstance(o, dict)}
    return kinds.get(outcome.get("optionId")) in _ALLOW_KINDS


def _outcome(message: dict[str, Any]) -> dict[str, Any]:
    result = message.get("result")
    outcome = result.get("outcome") if isinstance(result, dict) else None
    return outcome if isinstance(outcome, dict) else {}


def same_answer(
    recorded: dict[str, Any], actual: dict[str, Any], exchange: Exchange | None
) -> bool:
    """Whether the client answered the agent as the recording did: result or error (and its
    code) alike, and for a permission the same option — or, where either side answered
    "cancelled", the same yes or no."""
    error, new_error = recorded.get("error"), actual.get("error")
    if isinstance(error, dict) or isinstance(new_error, dict):
        if not (isinstance(error, dict) and isinstance(new_error, dict)):
            return False
        return bool(error.get("code") == new_error.get("code"))
    if exchange is None or exchange.method != PERMISSION:
        return True
    old, new = _outcome(recorded), _outcome(actual)
    if "cancelled" in (old.get("outcome"), new.get("outcome")):
        return _allowed(old, exchange) is _allowed(new, exchange)
    return bool(old.get("optionId") == new.get("optionId"))


def describe(message: dict[str, Any], exchange: Exchange | None) -> str:
    """One phrase for an answer: ``error -32010``, ``selected opt-1 (allow_once)``, ``result``."""
    error = message.get("error")
    if isinstance(error, dict):
        return f"error {error.get('code')}"
    if exchange is None or exchange.method != PERMISSION:
        return "result"
    outcome = _outcome(message)
    if outcome.get("outcome") != "selected":
        return str(outcome.get("outcome", "no outcome"))
    options = exchange.params.get("options") or []
    kind = next(
        (
            o.get("kind")
            for o in options
            if isinstance(o, dict) and o.get("optionId") == outcome.get("optionId")
        ),
        "?",
    )
    return f"selected {outcome.get('optionId')} ({kind})"
