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
from agents.checkpoints.drift import DriftWatch
from agents.checkpoints.scan import Scanner, Withheld
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
    drift: DriftWatch | None = None


class Checkpoints:
    """Checkpoints of every session of one process, in shadow repositories under ``root``.

    ``scan`` finds secrets in files before they are snapshotted (the runtime's redactor, which
    knows the keyring's values); such files are left out and reported once per session.
    """

    def __init__(
        self,
        store: EventStore,
        root: Path,
        *,
        exclude: Sequence[str] = DEFAULT_EXCLUDE,
        scan: Scanner | None = None,
    ) -> None:
        self.store = store
        self.root = root
        self.exclude = tuple(exclude)
        self.scan = scan
        self._sessions: dict[str, _Watched] = {}
        self._warned: dict[str, set[str]] = {}

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
        resolved = workspace.resolve()
        drift = DriftWatch(lambda: self.repo(resolved, chosen)) if enabled else None
        self._sessions[session_id] = _Watched(resolved, chosen, enabled, drift)

    def forget(self, session_id: str) -> None:
        """Stop tracking a session that ended."""
        self._sessions.pop(session_id, None)
        self._warned.pop(session_id, None)

    def drift(self, session_id: str) -> DriftWatch | None:
        """The drift watch of a watched session; None when checkpoints are off for it."""
        watched = self._sessions.get(session_id)
        return watched.drift if watched is not None else None

    def repo(self, workspace: Path, exclude: Sequence[str] | None = None) -> ShadowRepo:
        """The shadow repository of ``workspace``."""
        return ShadowRepo(
            self.root,
            workspace,
            exclude=self.exclude if exclude is None else exclude,
            scan=self.scan,
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
        started = watched.drift.tick() if watched.drift is not None else 0

        def snapshot() -> tuple[str, dict[str, Withheld]]:
            commit = repo.snapshot(session_ref(session_id), message)
            return commit, dict(repo.withheld)

        commit, withheld = await asyncio.to_thread(snapshot)
        if watched.drift is not None:
            watched.drift.snapshot_taken(commit, started=started, withheld=withheld)
        if at_seq is None:
            at_seq = await asyncio.to_thread(session_head, self.store.engine, session_id)
        payload = CheckpointTaken(
            checkpoint_id=commit, at_seq=at_seq, known_good=known_good, label=label
        )
        record = await self.store.append_durable(session_id, actor, payload)
        await self._report_withheld(session_id, label, withheld)
        return record

    async def _report_withheld(
        self, session_id: str, label: str, withheld: dict[str, Withheld]
    ) -> None:
        """Say, once per file and session, which files a checkpoint left out and why."""
        warned = self._warned.setdefault(session_id, set())
        new = sorted(set(withheld) - warned)
        if not new:
            return
        warned.update(new)
        shown = ", ".join(f"{p} ({withheld[p].secret})" for p in new[:10])
        more = f" and {len(new) - 10} more" if len(new) > 10 else ""
        reason = (
            f"checkpoint {label!r} left out {len(new)} file(s) holding a secret: {shown}{more};"
            " rollback will neither restore nor delete them"
        )
        escalation = EscalationRaised(reason=reason[:2000], severity="warning")
        await self.store.append_durable(session_id, "orchestrator", escalation)

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
