"""The end of a headless ``run --worktree``: the worktree is kept, and the terminal says how to
merge or discard it."""

from __future__ import annotations

import asyncio
import sys

from agents.worktrees.create import Worktree
from agents.worktrees.finish import Finisher
from app.wiring.runtime import Runtime
from sessions.errors import QuarterdeckError


async def keep_worktree(runtime: Runtime, worktree: Worktree) -> bool:
    """Commit the session's changes on its branch (``keep``) and say what to do next on
    stderr; False when it could not be kept (said too)."""
    checkpoints = runtime.orchestrator.checkpoints
    finisher = Finisher(
        store=runtime.store,
        checkpoints_root=checkpoints.root if checkpoints is not None else None,
        actor="orchestrator",
    )
    short = worktree.session_id[:8]
    try:
        done = await asyncio.to_thread(finisher.finish, worktree.session_id, "keep")
    except QuarterdeckError as exc:
        print(f"quarterdeck: error: session {short}: worktree not kept: {exc}", file=sys.stderr)
        return False
    merge, discard = f"merge it into {worktree.base_branch}:", "discard it:"
    width = max(len(merge), len(discard))
    print(
        f"session {short}: {done.message}\n"
        f"  {merge:<{width}} quarterdeck worktrees merge {short}\n"
        f"  {discard:<{width}} quarterdeck worktrees discard {short}",
        file=sys.stderr,
    )
    return True
