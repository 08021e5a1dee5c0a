"""Taking a session's checkpoints and recording them: before risky tool calls, at validator passes.

A checkpoint is a commit in the workspace's shadow repository (:mod:`.shadow`) on the ref of its
session, recorded as a ``checkpoint`` event whose ``checkpoint_id`` is the commit id. A snapshot
that fails is never silent and never fatal: it becomes an ``escalation.raised`` event naming the
call that goes ahead without a restore point (docs/decisions.md, "Checkpoint failures").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from agents.auth.gate import ToolCall
from agents.auth.requests import WRITE_TOOLS, ToolKind
from agents.checkpoints.shadow import DEFAULT_EXCLUDE, CheckpointError, ShadowRepo
from sessions.schema.flow import CheckpointTaken, EscalationRaised
from sessions.store.event_store import EventStore
from sessions.store.reading import session_head
from sessions.store.record import Record

log = logging.getLogger(__name__)

RISKY_TOOLS = WRITE_TOOLS | {ToolKind.EXECUTE}
"""Tool kinds that can change the workspace: a checkpoint is taken before each allowed one."""


def session_ref(session_id: str) -> str:
    """The shadow ref holding a session's checkpoints (each commit's parent is the one before)."""
    return f"refs/quarterdeck/sessions/{session_id}"


@dataclass(frozen=True, slots=True)
class _Watched:
    workspace: Path
    exclude: tuple[str, ...]
    enabled: bool


class Checkpoints:
    """Checkpoints of every session of one process, in shadow repositories under ``root``."""

    def __init__(
        self, store: EventStore, root: Path, *, exclude: Sequence[str] = DEFAULT_EXCLUDE
    ) -> None:
        self.store = store
        self.root = root
        self.exclude = tuple(exclude)
        self._sessions: dict[str, _Watched] = {}

    def watch(
        self,
        session_id: str,
        workspace: Path,
        *,
        exclude: Sequence[str] | None = None,
        enabled: bool = True,
    ) -> None:
        """Register a session's workspace and settings (the team's ``[checkpoints]``)."""
        chosen = self.exclude if exclude is None else tuple(exclude)
        self._sessions[session_id] = _Watched(workspace.resolve(), chosen, enabled)

    def forget(self, session_id: str) -> None:
        """Stop tracking a session that ended."""
        self._sessions.pop(session_id, None)

    def repo(self, workspace: Path, exclude: Sequence[str] | None = None) -> ShadowRepo:
        """The shadow repository of ``workspace``."""
        return ShadowRepo(
            self.root, workspace, exclude=self.exclude if exclude is None else exclude
        )

    async def take(
        self,
        session_id: str,
        *,
        label: str,
        known_good: bool = False,
        at_seq: int | None = None,
        actor: str = "orchestrator",
        workspace: Path | None = None,
    ) -> Record | None:
        """Snapshot the session's workspace and record it; None when checkpoints are off.

        Raises :class:`~agents.checkpoints.shadow.CheckpointError` when the snapshot fails.
        """
        watched = self._sessions.get(session_id)
        if watched is None:
            if workspace is None:
                return None
            watched = _Watched(workspace.resolve(), self.exclude, True)
        if not watched.enabled:
            return None
        repo = self.repo(watched.workspace, watched.exclude)
        message = f"{label}\n\nSession: {session_id}\n"
        commit = await asyncio.to_thread(repo.snapshot, session_ref(session_id), message)
        if at_seq is None:
            at_seq = await asyncio.to_thread(session_head, self.store.engine, session_id)
        payload = CheckpointTaken(
            checkpoint_id=commit, at_seq=at_seq, known_good=known_good, label=label
        )
        return await self.store.append_durable(session_id, actor, payload)

    async def before_call(self, call: ToolCall) -> None:
        """The gate's hook: checkpoint before an allowed call that may change files.

        Never raises: a failed snapshot is recorded as an escalation and the call goes on.
        """
        if call.request.tool not in RISKY_TOOLS:
            return
        try:
            await self.take(
                call.session_id,
                label=f"before {call.summary}"[:200],
                actor=call.agent_id,
                workspace=call.request.workspace,
            )
        except Exception as exc:  # reported as an event, never swallowed, never fatal
            log.warning("checkpoint before %s failed: %s", call.call_id, exc)
            await self.failed(call.session_id, f"before {call.summary}", exc, call=call)

    async def failed(
        self, session_id: str, what: str, exc: BaseException, *, call: ToolCall | None = None
    ) -> None:
        """Record a failed checkpoint as an escalation a user sees."""
        error = str(exc) if isinstance(exc, CheckpointError) else f"{type(exc).__name__}: {exc}"
        escalation = EscalationRaised(
            reason=f"checkpoint failed {what}: {error}; this change has no restore point",
            severity="warning",
            call_id=call.call_id if call is not None else None,
            agent_id=call.agent_id if call is not None else None,
        )
        await self.store.append_durable(session_id, "orchestrator", escalation)
