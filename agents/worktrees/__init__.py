"""A git worktree per session: made at its start, merged, kept or discarded at its end.

:mod:`.create` makes the worktree (branch ``quarterdeck/<short id>`` from the starting branch's
HEAD), :mod:`.record` reads what the log says about a session's worktree, :mod:`.changes`
tells the session's uncommitted changes from anyone else's, :mod:`.finish` merges, keeps or
discards, and :mod:`.listing` lists and prunes them. Everything runs the real ``git`` and
blocks: call it on a thread.
"""
