"""SessionSchema v1: the typed events every Quarterdeck session is made of.

Payload models live in topic modules; :mod:`sessions.schema.registry` joins them into one
discriminated union on ``kind`` and builds the envelope models that the JSON Schema describes.
"""

from __future__ import annotations

from sessions.schema.agent import (
    AgentControlled,
    AgentFailed,
    AgentHistoryReplayed,
    AgentMessage,
    AgentPlan,
    AgentStarted,
    AgentStopped,
    AgentThought,
    AgentUsage,
    PlanEntry,
    SandboxInfo,
)
from sessions.schema.base import SCHEMA_VERSION, Payload
from sessions.schema.flow import (
    CheckpointTaken,
    DriftedFile,
    EscalationRaised,
    HandoffMade,
    MemoryPurged,
    MemorySet,
    RawRecorded,
    RetryScheduled,
    RolledBack,
    ValidationFinished,
    WorkspaceDrift,
)
from sessions.schema.human import HumanMessage, HumanMessageDelivered, HumanMessageDropped
from sessions.schema.policy import (
    ApprovalRequested,
    ApprovalResolved,
    PolicyDecided,
    PolicyRejected,
    PolicyReloaded,
)
from sessions.schema.registry import (
    KINDS,
    EventModel,
    parse_payload,
    payload_type,
    validate_event,
)
from sessions.schema.review import ChangesRequested, HunkComment, ReviewAccepted
from sessions.schema.session import (
    BudgetRaised,
    BudgetReached,
    SessionContext,
    SessionCreated,
    SessionFinished,
    SessionState,
    SessionStateChanged,
)
from sessions.schema.tools import ToolCallRequested, ToolIntent, ToolOutput, ToolResult

__all__ = [
    "KINDS",
    "SCHEMA_VERSION",
    "AgentControlled",
    "AgentFailed",
    "AgentHistoryReplayed",
    "AgentMessage",
    "AgentPlan",
    "AgentStarted",
    "AgentStopped",
    "AgentThought",
    "AgentUsage",
    "ApprovalRequested",
    "ApprovalResolved",
    "BudgetRaised",
    "BudgetReached",
    "ChangesRequested",
    "CheckpointTaken",
    "DriftedFile",
    "EscalationRaised",
    "EventModel",
    "HandoffMade",
    "HumanMessage",
    "HumanMessageDelivered",
    "HumanMessageDropped",
    "HunkComment",
    "MemoryPurged",
    "MemorySet",
    "Payload",
    "PlanEntry",
    "PolicyDecided",
    "PolicyRejected",
    "PolicyReloaded",
    "RawRecorded",
    "RetryScheduled",
    "ReviewAccepted",
    "RolledBack",
    "SandboxInfo",
    "SessionContext",
    "SessionCreated",
    "SessionFinished",
    "SessionState",
    "SessionStateChanged",
    "ToolCallRequested",
    "ToolIntent",
    "ToolOutput",
    "ToolResult",
    "ValidationFinished",
    "WorkspaceDrift",
    "parse_payload",
    "payload_type",
    "validate_event",
]
