"""One agent's recorded ACP conversation, cut into processes, turns and exchanges.

The frame recorder kept every JSON-RPC message of every agent as a ``raw`` event, both
directions, in wire order. Read back, an agent's frames fall into *processes* (each begins with
our ``initialize``), a process into its handshake and its *turns* (each begins with our
``session/prompt``), and a turn holds the agent's notifications and *exchanges*: a request the
agent made of us, our recorded answer, and the gate calls the gate recorded while we served it
(``tool.requested`` → ``policy.decided``). Pure: built from records, no I/O.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from sessions.schema.policy import POLICY_SOURCES
from sessions.store.record import Record

PERMISSION = "session/request_permission"
GATED = frozenset({PERMISSION, "fs/read_text_file", "fs/write_text_file", "terminal/create"})
"""Agent requests whose serving asks the gate."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Frame:
    """One recorded JSON-RPC message: ``in`` came from the agent, ``out`` went to it."""

    seq: int
    direction: Literal["in", "out"]
    message: dict[str, Any]
    method: str | None
    """The method, for a response the method of the request it answers (as recorded)."""

    @property
    def request_id(self) -> object:
        """The JSON-RPC id (None for a notification)."""
        return self.message.get("id")

    @property
    def is_call(self) -> bool:
        """A request or a notification (it names a method)."""
        return "method" in self.message

    @property
    def is_response(self) -> bool:
        """A result or an error answering a request."""
        return "method" not in self.message and "id" in self.message


@dataclass(slots=True, kw_only=True)
class GateCall:
    """A decision the gate recorded: the request, the policy's verdict, the final answer."""

    call_id: str
    requested_seq: int
    tool: str
    subject: str
    verdict: str | None = None
    rule_id: str | None = None
    decided_seq: int | None = None
    final: str | None = None

    @property
    def seq(self) -> int:
        """Where the decision is in the log (its ``policy.decided``, else its request)."""
        return self.decided_seq if self.decided_seq is not None else self.requested_seq

    @property
    def allowed(self) -> bool:
        """Whether the call ran in the recording (an unanswered "ask" did not)."""
        return (self.final or self.verdict) == "allow"


@dataclass(slots=True, kw_only=True)
class Exchange:
    """A request the agent made of us, the gate calls made to serve it, and our answer."""

    request: Frame
    response: Frame | None = None
    calls: list[GateCall] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    """The ``tool.result`` payloads of its calls (a command's outcome)."""
    intended: bool = False
    """A ``tool.intent`` was journaled: the write or command went ahead."""
    taken: int = 0

    @property
    def method(self) -> str:
        """The agent's method."""
        return str(self.request.message.get("method", ""))

    @property
    def params(self) -> dict[str, Any]:
        """The request's params (an empty dict when absent)."""
        params = self.request.message.get("params")
        return params if isinstance(params, dict) else {}

    @property
    def ok(self) -> bool:
        """Our recorded answer was a result, not an error."""
        return self.response is not None and "error" not in self.response.message

    def peek_call(self) -> GateCall | None:
        """The next recorded gate call not yet made again."""
        return self.calls[self.taken] if self.taken < len(self.calls) else None

    def take_call(self) -> GateCall | None:
        """The next recorded gate call, now made again."""
        call = self.peek_call()
        if call is not None:
            self.taken += 1
        return call

    def missed(self) -> list[GateCall]:
        """Recorded gate calls the re-drive never made."""
        return self.calls[self.taken :]


@dataclass(slots=True, kw_only=True)
class Turn:
    """One prompt: our request, then every frame until the next prompt or process."""

    prompt: Frame
    frames: list[Frame] = field(default_factory=list)
    exchanges: dict[str, deque[Exchange]] = field(default_factory=dict)
    by_id: dict[object, Exchange] = field(default_factory=dict)
    answered: bool = False

    @property
    def text(self) -> str:
        """The prompt's text blocks, joined."""
        params = self.prompt.message.get("params")
        blocks = params.get("prompt") if isinstance(params, dict) else None
        if not isinstance(blocks, list):
            return ""
        return "".join(
            str(b.get("text", ""))
            for b in blocks
            if isinstance(b, dict) and b.get("type") == "text"
        )

    @property
    def acp_session_id(self) -> str:
        """The agent's own session id the prompt was sent to."""
        params = self.prompt.message.get("params")
        return str(params.get("sessionId", "")) if isinstance(params, dict) else ""

    def take(self, method: str) -> Exchange | None:
        """The next recorded exchange of ``method`` (first come, first served, as on the wire)."""
        queue = self.exchanges.get(method)
        return queue.popleft() if queue else None


@dataclass(slots=True)
class Process:
    """One agent process: did its handshake complete, its turns, how it died if it did."""

    turns: deque[Turn] = field(default_factory=deque)
    ready: bool = False
    death: str | None = None


@dataclass(slots=True)
class AgentTape:
    """Everything one agent (``role-1``) did in one run of a session."""

    agent_id: str
    processes: deque[Process] = field(default_factory=deque)


class TapeBuilder:
    """Folds one run's records, in log order, into its agents' tapes."""

    def __init__(self) -> None:
        self.tapes: dict[str, AgentTape] = {}
        self._open: dict[str, dict[object, Exchange]] = {}
        self._calls: dict[str, GateCall] = {}
        self._exchange_of: dict[str, Exchange] = {}

    def add(self, record: Record) -> None:
        """Take one record into account (kinds other than the ones below are ignored)."""
        kind = record.kind
        if kind == "raw":
            self._frame(record)
        elif kind == "tool.requested":
            self._requested(record)
        elif kind == "policy.decided":
            self._decided(record)
        elif kind in ("tool.intent", "tool.result"):
            payload = record.payload
            exchange = self._exchange_of.get(str(payload.get("call_id", "")))
            if exchange is not None and kind == "tool.intent":
                exchange.intended = True
            elif exchange is not None:
                exchange.results.append(payload)
        elif kind == "agent.failed":
            tape = self._tape(record.actor)
            if not tape.processes:
                tape.processes.append(Process())
            tape.processes[-1].death = str(record.payload.get("error", "the agent died"))

    def _tape(self, agent_id: str) -> AgentTape:
        return self.tapes.setdefault(agent_id, AgentTape(agent_id))

    def _frame(self, record: Record) -> None:
        payload = record.payload
        data = payload.get("data")
        if payload.get("source") != "acp" or not isinstance(data, dict):
            return
        direction: Literal["in", "out"] = "out" if payload.get("direction") == "out" else "in"
        method = payload.get("method")
        frame = Frame(
            seq=record.seq,
            direction=direction,
            message=data,
            method=method if isinstance(method, str) else None,
        )
        tape = self._tape(record.actor)
        if direction == "out" and data.get("method") == "initialize":
            tape.processes.append(Process())
            self._open.pop(record.actor, None)  # what a dead process asked stays unanswered
            return
        if not tape.processes:
            tape.processes.append(Process())
        process = tape.processes[-1]
        if direction == "out" and data.get("method") == "session/prompt" and "id" in data:
            process.turns.append(Turn(prompt=frame))
            self._open.pop(record.actor, None)
            return
        if not process.turns:  # the handshake
            opened = frame.method in ("session/new", "session/load") and "result" in data
            process.ready = process.ready or (direction == "in" and frame.is_response and opened)
            return
        self._in_turn(record.actor, process.turns[-1], frame)

    def _in_turn(self, agent_id: str, turn: Turn, frame: Frame) -> None:
        turn.frames.append(frame)
        open_ = self._open.setdefault(agent_id, {})
        if frame.direction == "in" and frame.is_response:
            turn.answered = turn.answered or frame.request_id == turn.prompt.request_id
        elif frame.direction == "in" and frame.is_call and "id" in frame.message:
            exchange = Exchange(request=frame)
            turn.exchanges.setdefault(exchange.method, deque()).append(exchange)
            turn.by_id[frame.request_id] = exchange
            open_[frame.request_id] = exchange
        elif frame.direction == "out" and frame.is_response:
            answered = open_.pop(frame.request_id, None)
            if answered is not None:
                answered.response = frame

    def _requested(self, record: Record) -> None:
        payload = record.payload
        if payload.get("announced"):  # the agent's own account, not a gate call
            return
        call_id = str(payload.get("call_id", ""))
        paths = payload.get("paths") or []
        command = payload.get("command")
        tool = str(payload.get("tool", "other"))
        subject = command if isinstance(command, str) else ", ".join(map(str, paths)) or tool
        call = GateCall(call_id=call_id, requested_seq=record.seq, tool=tool, subject=subject)
        self._calls[call_id] = call
        exchange = self._serving(record.actor, call_id)
        if exchange is not None:
            exchange.calls.append(call)
            self._exchange_of[call_id] = exchange

    def _serving(self, agent_id: str, call_id: str) -> Exchange | None:
        """The open exchange a gate call serves: the permission request naming the call, else
        the oldest gated request still without one (requests are served in arrival order)."""
        open_ = list(self._open.get(agent_id, {}).values())
        for exchange in open_:
            tool_call = exchange.params.get("toolCall")
            named = isinstance(tool_call, dict) and tool_call.get("toolCallId") == call_id
            if exchange.method == PERMISSION and named:
                return exchange
        for exchange in open_:
            if exchange.method in GATED and exchange.method != PERMISSION and not exchange.calls:
                return exchange
        return None

    def _decided(self, record: Record) -> None:
        payload = record.payload
        call = self._calls.get(str(payload.get("call_id", "")))
        if call is None:
            return
        decision = str(payload.get("decision", "deny"))
        if payload.get("source") in POLICY_SOURCES:
            rule = payload.get("rule_id")
            call.verdict, call.decided_seq = decision, record.seq
            call.rule_id = rule if isinstance(rule, str) else None
            call.final = decision if decision != "ask" else None
        else:
            call.final = decision
