"""The reducer folds people's messages to agents: queued on the agent's panel until delivered or
dropped, never a change of the agent's state, and a row in the timeline."""

from __future__ import annotations

from typing import Any

from sessions.readmodel.reducer import fold
from sessions.readmodel.timeline import timeline_entry
from sessions.readmodel.views import AgentState, AgentView, ConsoleView, QueuedMessage
from tests.unit.test_state import SID, numbered

STARTED = ("agent.started", {"agent_id": "implementer-1", "role": "implementer", "backend": "acp"})
THINKING = ("agent.message", {"agent_id": "implementer-1", "text": "working\n"})


def _message(message_id: str, text: str, agent_id: str = "implementer-1") -> tuple[str, Any]:
    role = agent_id.rsplit("-", 1)[0]
    payload = {"message_id": message_id, "agent_id": agent_id, "role": role, "text": text}
    return ("human.message", {**payload, "by": "ann"})


def _agent(view: ConsoleView, agent_id: str = "implementer-1") -> AgentView:
    session = view.session(SID)
    assert session is not None
    agent = session.agent(agent_id)
    assert agent is not None
    return agent


def test_a_message_is_queued_on_its_agent_without_changing_what_it_does() -> None:
    view = fold(numbered([STARTED, THINKING, _message("m1", "use tabs"), _message("m2", "and")]))
    agent = _agent(view)
    assert agent.queued == (
        QueuedMessage("m1", "use tabs", "ann"),
        QueuedMessage("m2", "and", "ann"),
    )
    assert agent.state is AgentState.THINKING


def test_delivered_and_dropped_messages_leave_the_queue() -> None:
    records = [
        STARTED,
        _message("m1", "first"),
        _message("m2", "second"),
        _message("m3", "third"),
        (
            "human.message_delivered",
            {"message_id": "m1", "agent_id": "implementer-1", "how": "after_turn"},
        ),
    ]
    view = fold(numbered(records))
    assert [m.message_id for m in _agent(view).queued] == ["m2", "m3"]
    dropped = (
        "human.message_dropped",
        {"message_id": "m3", "agent_id": "implementer-1", "reason": "ended"},
    )
    view = fold(numbered([dropped], len(records) + 1), view)
    assert [m.message_id for m in _agent(view).queued] == ["m2"]


def test_a_message_to_an_agent_not_started_yet_names_its_role() -> None:
    view = fold(numbered([_message("m1", "check the tabs", "reviewer-1")]))
    agent = _agent(view, "reviewer-1")
    assert agent.role == "reviewer" and agent.queued[0].text == "check the tabs"


def test_the_session_ending_clears_what_is_still_queued() -> None:
    finished = ("session.finished", {"outcome": "cancelled"})
    view = fold(numbered([STARTED, _message("m1", "hello"), finished]))
    assert _agent(view).queued == ()


def test_the_timeline_shows_who_wrote_to_whom_and_the_delivery() -> None:
    sent, delivered = numbered(
        [
            _message("m1abcdefgh", "use tabs"),
            (
                "human.message_delivered",
                {"message_id": "m1abcdefgh", "agent_id": "implementer-1", "how": "next_prompt"},
            ),
        ]
    )
    row = timeline_entry(sent)
    assert row is not None
    assert (row.summary, row.category, row.agent_id) == (
        "ann → implementer-1: use tabs",
        "message",
        "implementer-1",
    )
    row = timeline_entry(delivered)
    assert row is not None
    assert row.summary == "message m1abcdef delivered to implementer-1 with its next prompt"
