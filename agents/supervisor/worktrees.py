"""What a supervisor may do with sessions' git worktrees: make one for a new session, look at
one, and end one — merge, keep or discard (:mod:`agents.worktrees`).

Mixed into :class:`~agents.supervisor.actions.Supervisor`. Every method does its git and
database work on a thread, so a screen may await it from the UI loop.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from agents.orchestrator.core import Orchestrator
from agents.worktrees.create import Worktree, create_worktree
from agents.worktrees.finish import Finisher, WorktreeOutcome
from agents.worktrees.listing import WorktreeStatus, status_of
from sessions.schema.worktree import WorktreeChoice
from sessions.store.event_store import EventStore


class WorktreeActions:
    """The supervisor's worktree methods (it provides the store, the user, the orchestrator)."""

    store: EventStore
    user: str
    orchestrator: Orchestrator | None

    def _worktree_checkpoints(self) -> Path | None:
        """Where this process keeps checkpoints (what a discard compares with); None: nowhere."""
        checkpoints = self.orchestrator.checkpoints if self.orchestrator is not None else None
        return checkpoints.root if checkpoints is not None else None

    async def make_worktree(self, workspace: Path) -> Worktree:
        """A worktree for a new session of the repository ``workspace`` is in;
        :class:`~agents.worktrees.git.WorktreeError` says what to do when none can be made."""
        return await asyncio.to_thread(create_worktree, workspace)

    async def worktree_of(self, session_id: str) -> WorktreeStatus | None:
        """``session_id``'s worktree (what the log says, what is on disk now); None when the
        session works in place."""
        root = self._worktree_checkpoints()
        return await asyncio.to_thread(status_of, self.store, session_id, checkpoints_root=root)

    async def finish_worktree(
        self, session_id: str, choice: WorktreeChoice, *, force: bool = False
    ) -> WorktreeOutcome:
        """Merge ``session_id``'s worktree into the branch it started from, keep its branch,
        or discard both (``force``: even changes the session's log does not account for).

        Raises :class:`~agents.worktrees.finish.WorktreeRefusedError` (recorded as
        ``worktree.refused``, nothing changed) or
        :class:`~agents.worktrees.git.WorktreeError` (a session still running, no worktree):
        both are :class:`~sessions.errors.QuarterdeckError` with a message to show.
        """
        finisher = Finisher(
            store=self.store,
            checkpoints_root=self._worktree_checkpoints(),
            actor=f"human:{self.user}",
        )
        return await asyncio.to_thread(finisher.finish, session_id, choice, force=force)
