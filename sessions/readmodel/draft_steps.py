"""The steps of the reducer longer than a line: what one event does to a session's draft.

Split from :mod:`sessions.readmodel.reducer` (which matches each event to its step) so each
module stays one idea: the match there, the bookkeeping here. Pure functions on drafts.
"""

from __future__ import annotations

from sessions import schema as ev
from sessions.readmodel.events import Event
from sessions.readmodel.timeline import named
from sessions.readmodel.usage import RunCost, with_cost
from sessions.readmodel.view_builders import AgentDraft, SessionDraft
from sessions.readmodel.views import AgentState, OpenCall, PendingApprovalView
from sessions.store.record import Record


def set_state(agent: AgentDraft, state: AgentState, tool: str | None = None) -> None:
    """An agent's state and the tool it is on."""
    agent.state, agent.current_tool = state, tool


def usage(a: AgentDraft, event: ev.AgentUsage) -> None:
    """What an ``agent.usage`` report leaves on its agent."""
    a.context_used = event.used if event.used is not None else a.context_used
    a.context_size = event.size if event.size is not None else a.context_size
    if event.cost is not None and event.currency:
        run = RunCost(event.acp_session_id or "", event.currency, event.cost)
        a.costs = with_cost(a.costs, run)


def requested(s: SessionDraft, event: ev.ToolCallRequested) -> None:
    """A tool call asked for: an open call, and its agent running it."""
    label = f"{event.tool} {event.command or ' '.join(event.paths) or event.title}".strip()
    s.add_call(OpenCall(event.call_id, event.agent_id, label))
    a = s.agent(event.agent_id)
    learn_role(a, s, event.role or "")
    set_state(a, AgentState.RUNNING_TOOL, label)


def approval_requested(s: SessionDraft, event: ev.ApprovalRequested, record: Record) -> None:
    """A pending approval, and its agent waiting on it."""
    s.add_pending(
        PendingApprovalView(
            approval_id=event.approval_id,
            session_id=s.session_id,
            agent_id=event.agent_id,
            role=event.role,
            tool=event.tool,
            summary=event.summary,
            command=event.command,
            diff=event.diff,
            risk=event.risk,
            requested_ts=record.ts,
            requested_seq=record.seq,
            rule_id=event.rule_id,
            paths=tuple(event.paths),
            cwd=event.cwd,
            reason=event.reason,
            owner=event.owner,
        )
    )
    a = s.agent(event.agent_id)
    learn_role(a, s, event.role)
    set_state(
        a, AgentState.AWAITING_APPROVAL, f"{event.tool} {event.command or event.summary}".strip()
    )


def approval_resolved(s: SessionDraft, event: ev.ApprovalResolved) -> None:
    """An approval answered: out of the queue, its agent on again."""
    asked = next((p for p in s.pending if p.approval_id == event.approval_id), None)
    if asked is None:
        return
    s.drop_pending(asked)
    a = s.agent(asked.agent_id)
    still_waiting = any(p.agent_id == a.agent_id for p in s.pending)
    state = AgentState.AWAITING_APPROVAL if still_waiting else AgentState.RUNNING_TOOL
    set_state(a, state, a.current_tool or asked.tool)


def handoff(s: SessionDraft, event: ev.HandoffMade) -> None:
    """A handoff: the receiving role's attempt."""
    s.role_attempts.pop(event.to_role, None)  # the latest handoff goes last
    s.role_attempts[event.to_role] = event.attempt
    if event.to_role == "implementer":
        s.attempt = event.attempt
    for a in s.role_agents(event.to_role):
        a.attempts = event.attempt


def learn_role(agent: AgentDraft, s: SessionDraft, role: str) -> None:
    """Name the role of an agent first seen without ``agent.started``, with its attempt."""
    if not agent.role and role:
        agent.role, agent.attempts = role, s.role_attempt(role)


def agent_of(s: SessionDraft, event: Event | None, record: Record) -> str | None:
    """The agent whose activity this record is: named in the payload, by its call, or its actor."""
    agent_id = named(event, "agent_id")
    if agent_id is not None:
        return agent_id
    call_id = named(event, "call_id")
    if call_id is not None and (call := s.open_call(call_id)) is not None:
        return call.agent_id
    return record.actor if s.has_agent(record.actor) else None
