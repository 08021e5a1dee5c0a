"""What a supervisor, at the console or the CLI, may do to sessions and approvals.

One place answers approvals, whether the asking process is this one (through the
:class:`~agents.approvals.broker.ApprovalBroker`, which resolves the waiting future) or another
one (an ``approval.resolved`` event in the shared database, which that process's broker picks
up). It
also pauses, resumes and cancels sessions, reloads the policy and manages standing grants. The
UI calls these methods and never touches a future, a lease or the policy file itself.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agents.approvals.broker import ApprovalBroker, Outcome
from agents.approvals.standing import proposed_rule, write_standing_grant
from agents.auth.grants import Grant, GrantError, list_grants
from agents.auth.grants import revoke_grant as _revoke_grant
from agents.auth.holder import PolicyHolder, ReloadResult
from agents.auth.requests import ToolKind, ToolRequest
from agents.checkpoints.rollback import RollbackPlan
from agents.checkpoints.timetravel import RollbackDone
from agents.orchestrator.core import Orchestrator
from agents.supervisor import launch, recovery
from agents.supervisor.launch import TeamFile
from agents.supervisor.recovery import TeamResolver
from agents.supervisor.review import ReviewActions
from agents.supervisor.worktrees import WorktreeActions
from agents.worktrees.git import WorktreeError
from sessions.errors import QuarterdeckError
from sessions.schema.policy import ApprovalResolved
from sessions.schema.session import SessionState
from sessions.store import leases
from sessions.store.approval_rows import ApprovalView, approvals_by_id
from sessions.store.event_store import EventStore
from sessions.store.reading import list_sessions

Liveness = Literal["waiting", "stale", "elsewhere"]


_TALK_ELSEWHERE = ": only the process that runs it can talk to its agents"


class SupervisorError(QuarterdeckError):
    """An action the supervisor refuses, with the reason a user can act on."""


def liveness(owner: str | None) -> Liveness:
    """``waiting`` when the asking process is alive, ``stale`` when it is gone, ``elsewhere``
    when it runs on another host (we cannot tell)."""
    if not owner or ":" not in owner:
        return "stale"
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname():
        return "elsewhere"
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return "stale"
    except (PermissionError, ValueError):
        return "waiting"
    return "waiting"


def tool_request_of(store: EventStore, approval: ApprovalView) -> ToolRequest:
    """The tool request an approval was asked for, rebuilt from the projection."""
    workspace = next(
        (s.workspace for s in list_sessions(store.engine) if s.session_id == approval.session_id),
        None,
    )
    req = approval.request
    cwd = req.get("cwd")
    return ToolRequest(
        tool=ToolKind(approval.tool),
        role=approval.role,
        workspace=Path(workspace or cwd or os.getcwd()),
        command=req.get("command"),
        paths=tuple(req.get("paths", ())),
        cwd=Path(cwd) if cwd else None,
    )


@dataclass(frozen=True, slots=True)
class Answered:
    """What an answer did: the outcome recorded and the standing rule added, if any."""

    approval_id: str
    outcome: Outcome
    added_rule: str | None


class Supervisor(ReviewActions, WorktreeActions):
    """Answers approvals and steers sessions for one console or command (and reviews their
    changes: :mod:`agents.supervisor.review`; ends their worktrees:
    :class:`~agents.supervisor.worktrees.WorktreeActions`)."""

    def __init__(
        self,
        store: EventStore,
        *,
        policy_path: Path,
        broker: ApprovalBroker | None = None,
        orchestrator: Orchestrator | None = None,
        holder: PolicyHolder | None = None,
        user: str | None = None,
        resolve_team: TeamResolver | None = None,
        config_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.policy_path = policy_path
        self.broker = broker
        self.orchestrator = orchestrator
        self.holder = holder
        self.user = user or getpass.getuser()
        self.resolve_team = resolve_team
        """The team an interrupted session resumes with; None: resuming is not offered."""
        self.config_dir = config_dir
        """Where the user's team files are (offered by the new-session form); None: nowhere."""

    # -- approvals ---------------------------------------------------------------------------

    def approval(self, approval_id: str) -> ApprovalView:
        """The approval as the database has it; ``SupervisorError`` if unknown (blocking)."""
        found = approvals_by_id(self.store.engine, [approval_id])
        if not found:
            raise SupervisorError(f"no approval {approval_id}")
        return found[0]

    def proposal(self, approval_id: str, outcome: Outcome) -> str:
        """The TOML of the narrowed rule an "always"/"never" answer would add; ``GrantError``
        when no narrow rule is safe (then only a one-off answer is possible). Blocking (it
        reads the database): call it on a thread."""
        decision = outcome.standing
        if decision is None:
            raise SupervisorError(f"{outcome} adds no rule")
        request = tool_request_of(self.store, self.approval(approval_id))
        return proposed_rule(approval_id, request, decision)

    async def answer(self, approval_id: str, outcome: Outcome, *, reason: str = "") -> Answered:
        """Answer a pending approval, here or in the process that asked.

        Raises ``SupervisorError`` when it was already answered, or when approving a request whose
        process is gone (nothing would run: deny it to clear it); ``GrantError`` when an
        "always" answer has no safe narrow rule (the request stays pending).
        """
        local = self.broker is not None and any(
            p.approval_id == approval_id for p in self.broker.pending()
        )
        if local and self.broker is not None:
            resolution = await self.broker.resolve(
                approval_id, outcome, reason=reason, decided_by=self.user
            )
            return Answered(approval_id, outcome, resolution.added_rule)
        return await asyncio.to_thread(self._answer_elsewhere, approval_id, outcome, reason)

    def _answer_elsewhere(self, approval_id: str, outcome: Outcome, reason: str) -> Answered:
        approval = self.approval(approval_id)
        if not approval.pending:
            who = f" by {approval.decided_by}" if approval.decided_by else ""
            raise SupervisorError(
                f"approval {approval_id} was already answered: {approval.state}{who}"
            )
        if outcome.approved and liveness(approval.owner) == "stale":
            raise SupervisorError(
                f"approval {approval_id} is stale: the process that asked ({approval.owner})"
                " is gone, so nothing would run. Deny it to clear it from the queue."
            )
        added = None
        decision = outcome.standing
        if decision is not None:
            added = write_standing_grant(
                self.policy_path,
                approval_id=approval_id,
                decision=decision,
                request=tool_request_of(self.store, approval),
                session_id=approval.session_id,
                subject=approval.summary,
            )
        self.store.append_sync(
            approval.session_id,
            f"human:{self.user}",
            ApprovalResolved(
                approval_id=approval_id,
                outcome=outcome.value,
                decided_by=self.user,
                reason=reason,
                added_rule=added,
            ),
        )
        return Answered(approval_id, outcome, added)

    # -- sessions ----------------------------------------------------------------------------

    def running(self) -> list[str]:
        """Sessions this process drives that have not ended."""
        return [] if self.orchestrator is None else self.orchestrator.running()

    def cancellable(self) -> list[str]:
        """Sessions running here whose outcome is not decided yet: what quitting would cancel
        (one already ending finishes as it was finishing)."""
        o = self.orchestrator
        return [s for s in self.running() if o is not None and not o.runners[s].ending]

    def runs_here(self, session_id: str) -> bool:
        """This process drives the session (it can be paused and resumed from here)."""
        return session_id in self.running()

    def _driving(self, session_id: str, *, why: str = "") -> Orchestrator:
        """The orchestrator that runs ``session_id`` in this process, or a SupervisorError
        saying it is not running here (and ``why`` that matters)."""
        o = self.orchestrator
        if o is None or not self.runs_here(session_id):
            raise SupervisorError(f"session {session_id[:8]} is not running in this console{why}")
        return o

    async def pause(self, session_id: str) -> None:
        """Pause a session this process runs, between steps."""
        await self._driving(session_id).pause(session_id)

    async def resume(self, session_id: str) -> None:
        """Resume a session this process paused."""
        await self._driving(session_id).resume(session_id)

    async def cancel(self, session_id: str) -> str:
        """Cancel a session: stop it here, or ask the live process that runs it; returns what
        happened, in words."""
        o = self.orchestrator
        task = o.tasks.get(session_id) if o is not None else None
        if o is not None and task is not None and not task.done():
            if o.runners[session_id].ending:
                return f"session {session_id[:8]} is already finishing"
            await o.cancel(session_id, f"cancelled by {self.user}")
            return f"cancelled session {session_id[:8]}"
        engine = self.store.engine
        lease = await asyncio.to_thread(leases.holder, engine, session_id)
        if lease is None or not lease.live():
            raise SupervisorError(
                f"session {session_id[:8]} is not running anywhere: use `quarterdeck cancel"
                f" {session_id[:8]}` to close it, or `quarterdeck resume` to go on"
            )
        await asyncio.to_thread(leases.request_cancel, engine, session_id)
        return f"asked {lease.owner} to cancel session {session_id[:8]}"

    async def stop_turn(self, session_id: str) -> str:
        """End the running turn of a session this process runs (its agent hears
        ``session/cancel``); the workflow goes on from there. Returns what happened, in words."""
        o = self._driving(session_id)
        role = o.runners[session_id].turn_role
        if role is None:
            raise SupervisorError(f"no agent of session {session_id[:8]} is in a turn now")
        await o.cancel_agent(session_id, role, by=self.user)
        return f"stopped the {role}'s turn"

    async def send_message(self, session_id: str, text: str, role: str | None = None) -> str:
        """Send a message to an agent of a session this process runs (``role`` None: the agent
        in a turn, else the last one that ran); returns, in words, when the agent hears it.
        A session run by another process cannot be reached from here: its agents are that
        process's children, and ACP gives no other way in."""
        o = self._driving(session_id, why=_TALK_ELSEWHERE)
        try:
            return await o.post_message(session_id, text, role=role, by=self.user)
        except QuarterdeckError as exc:
            raise SupervisorError(str(exc)) from exc

    def message_target(self, session_id: str) -> str:
        """The role a message to ``session_id`` without a named role goes to now."""
        o = self._driving(session_id, why=_TALK_ELSEWHERE)
        runner = o.runners[session_id]
        try:
            return runner.talk.target(None, turn_role=runner.turn_role)
        except QuarterdeckError as exc:
            raise SupervisorError(str(exc)) from exc

    # -- new sessions ------------------------------------------------------------------------

    @property
    def can_start(self) -> bool:
        """This console runs sessions (it has an orchestrator), so it can start one."""
        return self.orchestrator is not None

    def team_files(self, workspace: Path) -> list[TeamFile]:
        """The team files a new session in ``workspace`` may use (blocking: it looks at the
        disk)."""
        return launch.team_files(workspace, config_dir=self.config_dir)

    async def start_session(
        self, task: str, workspace: Path, team_path: Path | None, *, worktree: bool = False
    ) -> str:
        """Start a session in this process, as ``run`` does; returns its id.

        The team file is loaded and the workspace checked on a thread;
        :class:`~agents.supervisor.launch.NewSessionRefused` says what is wrong, per field. The
        session runs under the policy in force in this process (there is one per process);
        with ``worktree``, in a new git worktree of the workspace's repository.
        """
        o = self.orchestrator
        if o is None:
            raise SupervisorError("this console cannot run sessions")
        no_policy = self.holder is None or self.holder.current is None
        policy = f"no valid policy is in force: fix {self.policy_path}" if no_policy else ""
        checked = await asyncio.to_thread(launch.check, task, workspace, team_path, policy=policy)
        if not worktree:
            return o.start(checked.task, checked.team, checked.workspace)
        try:
            made = await self.make_worktree(checked.workspace)
        except WorktreeError as exc:
            raise launch.NewSessionRefused(launch.Problems(worktree=str(exc))) from exc
        return o.start(checked.task, checked.team, made.workspace, worktree=made)

    # -- time travel -------------------------------------------------------------------------

    def interrupted(
        self, candidates: Iterable[tuple[str, SessionState]], *, running_here: Iterable[str]
    ) -> set[str]:
        """Unfinished sessions no live process holds (blocking: call it on a thread).
        ``running_here`` is :meth:`running`, read on the loop first: the orchestrator's tasks
        are the loop's, not the thread's, to read."""
        return recovery.interrupted(self.store, candidates, set(running_here))

    async def resume_interrupted(self, session_id: str) -> str:
        """Continue an interrupted session here; returns what happened, in words."""
        if self.orchestrator is None or self.resolve_team is None:
            raise SupervisorError("this console cannot run sessions")
        try:
            return await recovery.resume_interrupted(
                self.store, self.orchestrator, session_id, resolve_team=self.resolve_team
            )
        except QuarterdeckError as exc:
            raise SupervisorError(str(exc)) from exc

    def _checkpoints_root(self) -> Path:
        checkpoints = self.orchestrator.checkpoints if self.orchestrator is not None else None
        if checkpoints is None:
            raise SupervisorError("this console keeps no checkpoints")
        return checkpoints.root

    async def rollback_plan(self, session_id: str) -> RollbackPlan:
        """What going back to the session's last known-good checkpoint would change."""
        try:
            return await recovery.rollback_plan(
                self.store, self._checkpoints_root(), session_id, here=self.runs_here(session_id)
            )
        except QuarterdeckError as exc:
            raise SupervisorError(str(exc)) from exc

    async def roll_back(self, session_id: str, shown: RollbackPlan) -> RollbackDone:
        """Carry out the rollback ``shown``; ``SupervisorError`` (nothing changed) if it differs now."""
        try:
            return await recovery.roll_back_to_shown(
                self.store,
                self._checkpoints_root(),
                session_id,
                shown=shown,
                here=self.runs_here(session_id),
                user=self.user,
            )
        except QuarterdeckError as exc:
            raise SupervisorError(str(exc)) from exc

    # -- policy ------------------------------------------------------------------------------

    def reload_policy(self) -> ReloadResult:
        """Load the policy file again now (the watcher also does it on every change); blocking."""
        if self.holder is None:
            raise SupervisorError("this console enforces no policy (it runs no sessions)")
        return self.holder.load()

    def grants(self) -> list[Grant]:
        """The standing grants in the user's policy file (blocking: it reads the file)."""
        return list_grants(self.policy_path)

    def revoke(self, rule_id: str) -> None:
        """Remove a standing grant; ``SupervisorError`` when there is no such grant (blocking)."""
        try:
            _revoke_grant(self.policy_path, rule_id)
        except GrantError as exc:
            raise SupervisorError(str(exc)) from exc
