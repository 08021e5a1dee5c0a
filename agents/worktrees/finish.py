"""The end of a session's worktree: merge it into the branch it started from, keep its branch,
or discard both — each one event, and a refusal one too, with everything left as it was.

``merge`` and ``keep`` commit the worktree's changes on its branch (the session's, and any
others', named in the message); ``merge`` then merges the branch in the checkout the session
started in and removes the worktree and the branch. ``discard`` removes both, and never throws
away a change the session's log does not account for (:mod:`.changes`), nor a commit on the
branch Quarterdeck did not make, unless forced.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from agents.worktrees import commit, merge
from agents.worktrees.changes import Changes, classify
from agents.worktrees.create import Worktree
from agents.worktrees.git import WorktreeError, git, run, status_paths
from agents.worktrees.record import Recorded, recorded
from sessions.schema.base import Payload
from sessions.schema.worktree import (
    WorktreeChoice,
    WorktreeDiscarded,
    WorktreeKept,
    WorktreeMerged,
    WorktreeRefused,
)
from sessions.store.event_store import EventStore
from sessions.store.reading import records_of_kinds

log = logging.getLogger(__name__)


class WorktreeRefusedError(WorktreeError):
    """A merge, keep or discard refused (recorded as ``worktree.refused``); nothing changed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WorktreeOutcome:
    """What finishing a session's worktree did."""

    choice: WorktreeChoice
    session_id: str
    branch: str
    path: Path
    commit: str | None = None
    """The commit made of the worktree's changes (merge, keep); None when there were none."""
    head: str | None = None
    """merge: the starting branch's new tip; discard: the deleted branch's last tip."""
    removed: bool = False
    """The worktree (and its branch) are gone."""
    others: tuple[str, ...] = ()
    """Changes the log does not account for: committed (merge, keep), or thrown away (forced
    discard)."""
    dropped: tuple[str, ...] = ()
    """discard: the uncommitted changes thrown away."""
    message: str = ""
    """What happened, in words."""


@dataclass(kw_only=True)
class Finisher:
    """Finishes worktrees for one user, recording each outcome in ``store``'s log."""

    store: EventStore
    checkpoints_root: Path | None
    actor: str = "orchestrator"
    """Who the events name: ``human:<user>`` for a person's choice."""

    def finish(
        self, session_id: str, choice: WorktreeChoice, *, force: bool = False
    ) -> WorktreeOutcome:
        """Merge, keep or discard ``session_id``'s worktree (``force``: discard even changes
        the log does not account for). Blocking. :class:`WorktreeRefusedError` (recorded) when
        refused; :class:`~agents.worktrees.git.WorktreeError` when it cannot be asked."""
        found = recorded(self.store.engine, session_id)
        if found is None:
            raise WorktreeError(f"session {session_id[:8]} has no worktree")
        if found.removed:
            raise WorktreeError(
                f"the worktree of session {session_id[:8]} was already {found.state}"
            )
        if not found.session_ended:
            raise WorktreeError(
                f"session {session_id[:8]} has not ended ({found.session_state or 'unknown'}):"
                " wait for its end, or cancel it first"
            )
        wt = found.worktree
        try:
            if choice == "merge":
                return self._merge(wt)
            if choice == "keep":
                return self._keep(wt)
            return self._discard(found, force=force)
        except WorktreeRefusedError:
            raise
        except WorktreeError as exc:  # refused by git or by a check: said, recorded, unchanged
            self._record(session_id, WorktreeRefused(choice=choice, reason=str(exc)[:2000]))
            raise WorktreeRefusedError(str(exc)) from exc

    # -- the three ends ----------------------------------------------------------------------

    def _changes(self, wt: Worktree) -> Changes:
        if not wt.path.is_dir():
            return Changes()
        return classify(
            wt,
            status_paths(wt.path),
            engine=self.store.engine,
            checkpoints_root=self.checkpoints_root,
        )

    def _commit(self, wt: Worktree, changes: Changes) -> commit.Prepared | None:
        if not wt.path.is_dir():
            return None
        others = [o.path for o in changes.others]
        text = commit.message_for(wt.session_id, self._task(wt.session_id), others)
        return commit.prepare(wt.path, changes.to_commit, text)

    def _keep(self, wt: Worktree) -> WorktreeOutcome:
        changes = self._changes(wt)
        prepared = self._commit(wt, changes)
        if prepared is not None:
            commit.apply(prepared, wt.branch)
        made = prepared.commit if prepared is not None else None
        others = tuple(o.path for o in changes.others)
        self._record(
            wt.session_id, WorktreeKept(branch=wt.branch, commit=made, others=list(others))
        )
        said = (
            f"committed on {wt.branch} as {made[:12]}"
            if made
            else f"nothing new to commit on {wt.branch}"
        )
        return WorktreeOutcome(
            choice="keep",
            session_id=wt.session_id,
            branch=wt.branch,
            path=wt.path,
            commit=made,
            others=others,
            message=f"kept the worktree {wt.path}: {said}",
        )

    def _merge(self, wt: Worktree) -> WorktreeOutcome:
        changes = self._changes(wt)
        prepared = self._commit(wt, changes)
        tip = prepared.commit if prepared is not None else self._tip(wt)
        merge.check(wt.repo, branch=wt.branch, into=wt.base_branch, tip=tip)
        if prepared is not None:
            commit.apply(prepared, wt.branch)
        text = f"Merge {wt.branch}: {commit.first_line(self._task(wt.session_id))[:60]}"
        done = merge.merge(wt.repo, branch=wt.branch, into=wt.base_branch, message=text)
        removed = False
        try:  # merged: a worktree or branch git will not remove now is left, not a refusal
            removed = self._remove(wt, generated=set(changes.generated), force=False)
            if removed:
                git(wt.repo, "branch", "--quiet", "-d", wt.branch)
        except WorktreeError as exc:
            log.warning("merged %s, but could not clean up: %s", wt.branch, exc)
        made = prepared.commit if prepared is not None else None
        others = tuple(o.path for o in changes.others)
        self._record(
            wt.session_id,
            WorktreeMerged(
                branch=wt.branch,
                into=wt.base_branch,
                commit=made,
                head=done.head,
                fast_forward=done.fast_forward,
                removed=removed,
                others=list(others),
            ),
        )
        how = "fast-forward" if done.fast_forward else f"merge commit {done.head[:12]}"
        left = "" if removed else f"; the worktree {wt.path} is left (it holds more)"
        return WorktreeOutcome(
            choice="merge",
            session_id=wt.session_id,
            branch=wt.branch,
            path=wt.path,
            commit=made,
            head=done.head,
            removed=removed,
            others=others,
            message=f"merged {wt.branch} into {wt.base_branch} ({how}){left}",
        )

    def _discard(self, found: Recorded, *, force: bool) -> WorktreeOutcome:
        wt = found.worktree
        changes = self._changes(wt)
        if changes.others and not force:
            raise WorktreeError(
                f"the worktree {wt.path} has changes the session did not make:"
                f" {changes.others_text()}; keep them (`quarterdeck worktrees keep"
                f" {wt.session_id[:8]}`), or throw them away too with `quarterdeck worktrees"
                f" discard {wt.session_id[:8]} --force`"
            )
        tip = self._tip(wt)
        foreign = _unknown_commits(wt, tip, kept=set(found.kept))
        if foreign and not force:
            raise WorktreeError(
                f"{wt.branch} has {len(foreign)} commit(s) Quarterdeck did not make"
                f" ({', '.join(c[:12] for c in foreign[:3])}): merge or keep them, or delete"
                f" them too with `quarterdeck worktrees discard {wt.session_id[:8]} --force`"
            )
        self._remove(wt, generated=set(), force=True)
        git(wt.repo, "branch", "--quiet", "-D", wt.branch)
        dropped = (*changes.session, *(o.path for o in changes.others))
        self._record(
            wt.session_id,
            WorktreeDiscarded(
                branch=wt.branch, head=tip, dropped=list(dropped)[:200], forced=force
            ),
        )
        return WorktreeOutcome(
            choice="discard",
            session_id=wt.session_id,
            branch=wt.branch,
            path=wt.path,
            head=tip,
            removed=True,
            others=tuple(o.path for o in changes.others),
            dropped=dropped,
            message=(
                f"discarded the worktree {wt.path} and {wt.branch} (was {tip[:12]}:"
                f" `git branch {wt.branch} {tip[:12]}` brings it back until git prunes it)"
            ),
        )

    # -- helpers -----------------------------------------------------------------------------

    def _tip(self, wt: Worktree) -> str:
        found = run(wt.repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{wt.branch}")
        if not found.ok:
            raise WorktreeError(f"the branch {wt.branch} is gone from {wt.repo}")
        return found.out.strip()

    def _remove(self, wt: Worktree, *, generated: set[str], force: bool) -> bool:
        """Remove the worktree; without ``force`` only when nothing but ``generated`` files
        is left uncommitted in it. Returns whether it is gone."""
        if not wt.path.is_dir():
            # Its directory was deleted by hand: forget it (and any other checkout so deleted).
            run(wt.repo, "worktree", "prune")
            return True
        if not force and not set(status_paths(wt.path)) <= generated:
            return False
        git(wt.repo, "worktree", "remove", "--force", str(wt.path))
        return True

    def _task(self, session_id: str) -> str:
        created = records_of_kinds(self.store.engine, ("session.created",), session_id=session_id)
        if not created:
            return ""
        payload = created[0].payload
        context = payload.get("context") or {}
        return str(context.get("task") or payload.get("title") or "")

    def _record(self, session_id: str, payload: Payload) -> None:
        self.store.append_sync(session_id, self.actor, payload)


def _unknown_commits(wt: Worktree, tip: str, *, kept: set[str]) -> list[str]:
    """The commits on the branch since it was made that no ``keep`` or ``merge`` made."""
    listed = git(wt.repo, "rev-list", tip, "--not", wt.base_commit).split()
    return [c for c in listed if c not in kept]
