"""The payloads the reducer folds: SessionSchema v1 as one union, and a record parsed into it."""

from __future__ import annotations

from typing import TypeAlias, cast

from sessions import schema as ev
from sessions.readmodel.timeline import parse_record
from sessions.schema import worktree as wt
from sessions.store.record import Record

Event: TypeAlias = (
    ev.SessionCreated
    | ev.SessionStateChanged
    | ev.SessionFinished
    | ev.AgentStarted
    | ev.AgentMessage
    | ev.AgentThought
    | ev.AgentPlan
    | ev.AgentStopped
    | ev.AgentFailed
    | ev.AgentHistoryReplayed
    | ev.AgentUsage
    | ev.ToolCallRequested
    | ev.ToolIntent
    | ev.ToolOutput
    | ev.ToolResult
    | ev.AgentControlled
    | ev.HumanMessage
    | ev.HumanMessageDelivered
    | ev.HumanMessageDropped
    | ev.ChangesRequested
    | ev.ReviewAccepted
    | ev.PolicyDecided
    | ev.ApprovalRequested
    | ev.ApprovalResolved
    | ev.PolicyReloaded
    | ev.PolicyRejected
    | ev.HandoffMade
    | ev.ValidationFinished
    | ev.CheckpointTaken
    | ev.RolledBack
    | ev.RetryScheduled
    | ev.EscalationRaised
    | ev.WorkspaceDrift
    | ev.MemorySet
    | ev.MemoryPurged
    | ev.RawRecorded
    | ev.BudgetReached
    | ev.BudgetRaised
    | wt.WorktreeCreated
    | wt.WorktreeKept
    | wt.WorktreeMerged
    | wt.WorktreeDiscarded
    | wt.WorktreeRefused
)
"""Every payload of SessionSchema v1; the reducer's ``match`` must cover each one."""


def parse_event(record: Record) -> Event | None:
    """The record's payload as one of the union's members (every payload class is one)."""
    return cast("Event | None", parse_record(record))
