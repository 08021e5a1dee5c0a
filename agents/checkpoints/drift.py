"""Drift: changes to a session's workspace during an agent turn that no allowed action explains.

A turn is watched between two snapshots of the workspace (its start and its end) with every
checkpoint taken in between (before each allowed risky call) as a further snapshot. Each
snapshot and each allowed action — an ``fs/write_text_file`` of one path, or a command, which
may change anything — is stamped with ticks of one counter, so the watcher knows which actions
could have run while the workspace went from one snapshot to the next:

- a window between two snapshots spans from the first one's start to the second one's end (a
  change made while a snapshot is being read may land on either side of it);
- a command running at any moment of a window explains every change of that window;
- otherwise a change is explained only by an allowed write of that very path in that window.

Whatever is left is drift (docs/decisions.md, "Drift"). Files a snapshot withheld because they
hold a secret (:mod:`.scan`) are compared by digest. Names the checkpoints exclude (agents'
state folders among them) are not watched.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from agents.checkpoints.scan import Withheld
from agents.checkpoints.shadow import Change, ShadowRepo

DriftStatus = Literal["added", "modified", "deleted"]

_STATUS: dict[str, DriftStatus] = {"A": "added", "M": "modified", "D": "deleted", "T": "modified"}


@dataclass(frozen=True, slots=True)
class Drifted:
    """One file that changed with no allowed action to explain it."""

    status: DriftStatus
    path: str


@dataclass(slots=True)
class _Point:
    tree: str
    started: int
    ended: int
    withheld: Mapping[str, Withheld]


@dataclass(slots=True)
class _Action:
    started: int
    ended: int | None = None
    path: str | None = None
    """The workspace-relative path a write targets; None for a command (it may touch anything)."""


@dataclass(slots=True)
class _Turn:
    points: list[_Point] = field(default_factory=list)
    actions: dict[int, _Action] = field(default_factory=dict)


class DriftWatch:
    """Watches one session's workspace across its agents' turns (one turn at a time).

    The executor reports allowed actions through :meth:`began` / :meth:`ended`; the checkpoint
    recorder reports its snapshots through :meth:`tick` / :meth:`snapshot_taken`.
    """

    def __init__(self, repo: Callable[[], ShadowRepo]) -> None:
        self._repo = repo
        self._ticks = itertools.count(1)
        self._turn: _Turn | None = None

    @property
    def workspace(self) -> Path:
        """The watched workspace."""
        return self._repo().workspace

    def tick(self) -> int:
        """The next tick: stamp the start of a snapshot or an action."""
        return next(self._ticks)

    # -- what the executor reports -----------------------------------------------------------

    def began(self, path: Path | None) -> int:
        """An allowed write of ``path`` (or, with None, a command) starts; returns its token."""
        token = self.tick()
        if self._turn is not None:
            relative: str | None = None
            if path is not None:
                workspace = self.workspace
                if not path.is_relative_to(workspace):
                    return token  # outside the workspace: it explains nothing in it
                relative = path.relative_to(workspace).as_posix()
            self._turn.actions[token] = _Action(started=token, path=relative)
        return token

    def ended(self, token: int) -> None:
        """The action ``token`` is over (the write returned, the command exited)."""
        if self._turn is not None and (action := self._turn.actions.get(token)) is not None:
            action.ended = self.tick()

    # -- what the checkpoint recorder reports ------------------------------------------------

    def snapshot_taken(self, tree: str, *, started: int, withheld: Mapping[str, Withheld]) -> None:
        """A snapshot begun at tick ``started`` gave ``tree`` (a tree or commit id)."""
        if self._turn is not None:
            self._turn.points.append(_Point(tree, started, self.tick(), dict(withheld)))

    # -- turns -------------------------------------------------------------------------------

    async def begin(self) -> None:
        """Start watching a turn: snapshot the workspace as it is now."""
        self._turn = _Turn()
        await self._snapshot()

    async def end(self) -> list[Drifted]:
        """Stop watching: snapshot again and return the changes nothing allowed explains."""
        turn = self._turn
        if turn is None:
            return []
        try:
            await self._snapshot()
            repo = self._repo()
            return await asyncio.to_thread(_unexplained, repo, turn)
        finally:
            self._turn = None

    def cancel(self) -> None:
        """Forget the turn being watched (its outcome will not be checked)."""
        self._turn = None

    async def _snapshot(self) -> None:
        started = self.tick()
        repo = self._repo()

        def take() -> tuple[str, dict[str, Withheld]]:
            with repo.locked():
                return repo.snapshot_tree(), dict(repo.withheld)

        tree, withheld = await asyncio.to_thread(take)
        self.snapshot_taken(tree, started=started, withheld=withheld)


def _window_changes(repo: ShadowRepo, a: _Point, b: _Point) -> dict[str, DriftStatus]:
    """What changed from snapshot ``a`` to ``b``, withheld files included (by digest)."""
    changes: dict[str, DriftStatus] = {
        c.path: _STATUS.get(c.status, "modified") for c in _diff(repo, a.tree, b.tree)
    }
    for path in a.withheld.keys() | b.withheld.keys():
        before, after = a.withheld.get(path), b.withheld.get(path)
        if before is not None and after is not None:
            if before.sha256 != after.sha256:
                changes[path] = "modified"
        elif before is not None:  # now clean (in b's tree) or gone (in neither tree)
            changes[path] = "modified" if changes.get(path) == "added" else "deleted"
        else:  # now holds a secret: it was in a's tree, or it is new
            changes[path] = "modified" if changes.get(path) == "deleted" else "added"
    return changes


def _diff(repo: ShadowRepo, old: str, new: str) -> list[Change]:
    return [] if old == new else repo.diff(old, new)


def _unexplained(repo: ShadowRepo, turn: _Turn) -> list[Drifted]:
    points = sorted(turn.points, key=lambda p: p.started)
    actions = list(turn.actions.values())
    found: dict[str, DriftStatus] = {}
    for a, b in itertools.pairwise(points):
        low, high = a.started, b.ended
        during = [x for x in actions if x.started <= high and (x.ended is None or x.ended >= low)]
        if any(x.path is None for x in during):
            continue  # a command ran in this window: it may have made every change
        written = {x.path for x in during}
        for path, status in _window_changes(repo, a, b).items():
            if path not in written:
                found.setdefault(path, status)
    return [Drifted(status, path) for path, status in sorted(found.items())]
