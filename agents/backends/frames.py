"""Record every raw JSON-RPC frame, both directions, and the typed events known updates imply.

The SDK's ``Connection`` calls its ``observers`` synchronously with a copy of each message, in
wire order, before any validation (acp.md §5.3): the one place where nothing is dropped yet.
Appends here are fire-and-forget (message chunks can come thousands a second); the journal's
durable appends happen in the executor.

While the agent answers ``session/load`` it replays the earlier session as ``session/update``
notifications. Those are history the log already holds: they are kept whole, once, in one
``agent.history_replayed`` record when the load answers, never as new messages or raw frames.
``usage_update`` notifications become ``agent.usage`` events when they tell something new
(:mod:`agents.backends.usage`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

from acp.connection import StreamDirection, StreamEvent
from pydantic import JsonValue

from agents.backends.updates import map_update
from agents.backends.usage import UsageRecorder
from sessions.schema.agent import AgentHistoryReplayed, AgentUsage
from sessions.schema.flow import RawRecorded
from sessions.store.event_store import EventStore

log = logging.getLogger(__name__)


class FrameRecorder:
    """An SDK stream observer that appends ``raw`` events (and typed updates) to the store."""

    def __init__(
        self,
        store: EventStore,
        session_id: str,
        agent_id: str,
        *,
        on_usage: Callable[[AgentUsage], None] | None = None,
    ) -> None:
        self._store = store
        self._session_id = session_id
        self._agent_id = agent_id
        # Request ids count per direction (acp.md §5.9): a response going out answers a request
        # that came in, so responses are looked up under the opposite direction.
        self._methods: dict[tuple[str, object], str] = {}
        self._loading: tuple[object, str] | None = None
        """The pending ``session/load``: its request id and the session it loads."""
        self._replayed: list[JsonValue] = []
        self.usage = UsageRecorder(
            agent_id, lambda usage: store.append(session_id, agent_id, usage), heard=on_usage
        )
        """The agent's usage reports; ``on_usage`` (the session's budget) hears each at once."""

    def __call__(self, event: StreamEvent) -> None:
        """Record one frame; never raises (an observer error must not break the connection)."""
        try:
            self._record(event)
        except Exception:  # the SDK would only log it; say which agent
            log.exception("could not record an ACP frame of agent %s", self._agent_id)

    def _record(self, event: StreamEvent) -> None:
        direction: Literal["in", "out"] = (
            "in" if event.direction is StreamDirection.INCOMING else "out"
        )
        frame: dict[str, Any] = event.message
        method = frame.get("method")
        if isinstance(method, str):
            if "id" in frame:
                self._methods[(direction, frame["id"])] = method
            if direction == "out" and method == "session/load":
                params = frame.get("params")
                loads = params.get("sessionId") if isinstance(params, dict) else None
                self._loading, self._replayed = (frame.get("id"), str(loads)), []
            elif direction == "in" and method == "session/update" and self._loading:
                self._replayed.append(frame)  # history, kept whole in one record at the end
                return
        elif "id" in frame:
            other = "out" if direction == "in" else "in"
            method = self._methods.pop((other, frame["id"]), None)
            if self._loading is not None and direction == "in" and method == "session/load":
                self.flush_replay()
            elif direction == "in" and method == "session/prompt":
                self.usage.flush()  # the turn is over: its last usage report goes in the log
        data: JsonValue = frame
        self._store.append(
            self._session_id,
            self._agent_id,
            RawRecorded(source="acp", direction=direction, method=method, data=data),
        )
        if direction == "in" and frame.get("method") == "session/update":
            params = frame.get("params")
            update = params.get("update") if isinstance(params, dict) else None
            payload = map_update(self._agent_id, update)
            if payload is not None:
                self._store.append(self._session_id, self._agent_id, payload)
            elif isinstance(update, dict) and update.get("sessionUpdate") == "usage_update":
                acp_session = params.get("sessionId") if isinstance(params, dict) else None
                self.usage.update(acp_session if isinstance(acp_session, str) else None, update)

    def flush_replay(self) -> None:
        """Record the history replayed so far by a ``session/load`` (at its answer, or when
        the agent goes away before answering: nothing the agent sent is dropped), and a usage
        report still held back."""
        self.usage.flush()
        if self._loading is None:
            return
        (_, acp_session_id), frames = self._loading, self._replayed
        self._loading, self._replayed = None, []
        self._store.append(
            self._session_id,
            self._agent_id,
            AgentHistoryReplayed(
                agent_id=self._agent_id, acp_session_id=acp_session_id, frames=frames
            ),
        )
