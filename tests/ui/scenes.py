"""Deterministic scenes for the console's tests: records with fixed ids, times and seqs.

No database: :class:`~app.wiring.console_boot.Boot` shows them through a ``MemorySource``, and the app's
clock is frozen at :data:`NOW`, so every snapshot is the same on every machine.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from agents.supervisor.launch import TeamFile, check
from agents.worktrees.create import Worktree
from agents.worktrees.finish import WorktreeOutcome, WorktreeRefusedError
from agents.worktrees.listing import WorktreeStatus
from agents.worktrees.record import Recorded
from sessions import schema as ev
from sessions.schema.base import SYSTEM_SESSION, Payload
from sessions.schema.session import SessionState
from sessions.schema.worktree import WorktreeChoice
from sessions.store.record import Record

START = datetime(2026, 11, 24, 9, 30, 0, tzinfo=UTC)
NOW = (START + timedelta(seconds=95)).timestamp()
"""The frozen clock of every scene: 95 s after the first event."""

S1 = "5e551011-0000-4000-8000-000000000001"
S2 = "5e551022-0000-4000-8000-000000000002"
DIFF = """\
--- a/calc/stats.py
+++ b/calc/stats.py
@@ -3,5 +3,5 @@ def moving_average(values, window):
     if window <= 0:
         raise ValueError("window must be positive")
-    return [sum(values[i:i + window]) / window for i in range(len(values) - window)]
+    return [sum(values[i:i + window]) / window for i in range(len(values) - window + 1)]
"""


class Scene:
    """Builds records one by one with growing ``seq`` and time."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self._session_seq: dict[str, int] = {}

    def add(self, session: str, actor: str, payload: Payload, *, dt: float = 0.5) -> Record:
        """Append one record, ``dt`` seconds after the previous one."""
        seq = len(self.records) + 1
        n = self._session_seq[session] = self._session_seq.get(session, 0) + 1
        ts = START + timedelta(seconds=dt * seq)
        record = Record(
            seq,
            session,
            n,
            ts.isoformat(timespec="microseconds"),
            actor,
            payload.KIND,
            1,
            orjson.dumps(payload.to_json_obj()).decode(),
            f"prev{seq}",
            f"hash{seq}",
        )
        self.records.append(record)
        return record


def _session(scene: Scene, sid: str, title: str) -> None:
    scene.add(
        sid, "orchestrator", ev.SessionCreated(title=title, workspace="/work/demo", team="demo")
    )
    scene.add(
        sid,
        "orchestrator",
        ev.SessionStateChanged(
            from_state=SessionState.CREATED, to_state=SessionState.RUNNING, reason="started"
        ),
    )


def _agent(scene: Scene, sid: str, role: str) -> str:
    agent = f"{role}-1"
    scene.add(sid, agent, ev.AgentStarted(agent_id=agent, role=role, backend="acp"))
    return agent


def working(*, with_approval: bool = True, rejected: bool = False) -> list[Record]:
    """Two sessions: one finished, one with three agents at work (and an approval waiting)."""
    scene = Scene()
    scene.add(
        SYSTEM_SESSION,
        "auth",
        ev.PolicyReloaded(
            path="/home/user/.config/quarterdeck/policy.toml",
            policy_hash="2bb32883c220" + "0" * 52,
            rules=50,
        ),
    )
    _session(scene, S2, "Add a --json flag to the report command")
    done = _agent(scene, S2, "implementer")
    scene.add(S2, done, ev.AgentMessage(agent_id=done, text="Added the flag and its test.\n"))
    scene.add(S2, done, ev.AgentStopped(agent_id=done, stop_reason="end_turn"))
    scene.add(
        S2, "validator-1", ev.ValidationFinished(check="pytest", passed=True, output="5 passed")
    )
    scene.add(
        S2, "orchestrator", ev.SessionFinished(outcome=SessionState.SUCCEEDED, summary="done")
    )

    _session(scene, S1, "Fix the failing moving_average test")
    planner = _agent(scene, S1, "planner")
    scene.add(
        S1,
        planner,
        ev.AgentPlan(agent_id=planner, entries=[ev.PlanEntry(content="Fix the window")]),
    )
    scene.add(
        S1,
        planner,
        ev.AgentMessage(
            agent_id=planner, text="The loop skips the last window.\nThe fix is range(n - w + 1).\n"
        ),
    )
    scene.add(S1, planner, ev.AgentStopped(agent_id=planner))
    scene.add(S1, "orchestrator", ev.HandoffMade(from_role="planner", to_role="implementer"))
    impl = _agent(scene, S1, "implementer")
    scene.add(
        S1,
        impl,
        ev.ToolCallRequested(
            agent_id=impl,
            call_id="call-read",
            tool="read",
            paths=["calc/stats.py"],
            role="implementer",
        ),
    )
    scene.add(
        S1,
        "auth",
        ev.PolicyDecided(
            call_id="call-read",
            decision="allow",
            rule_id="workspace-read",
            policy_hash="2bb32883c220" + "0" * 52,
            source="rule",
        ),
    )
    scene.add(S1, impl, ev.ToolResult(call_id="call-read", status="completed"))
    scene.add(
        S1,
        impl,
        ev.ToolCallRequested(
            agent_id=impl,
            call_id="call-edit",
            tool="edit",
            paths=["calc/stats.py"],
            role="implementer",
        ),
    )
    scene.add(
        S1,
        "auth",
        ev.PolicyDecided(
            call_id="call-edit",
            decision="ask",
            rule_id="edits-ask",
            policy_hash="2bb32883c220" + "0" * 52,
            source="rule",
        ),
    )
    if with_approval:
        scene.add(
            S1,
            "auth",
            ev.ApprovalRequested(
                approval_id="appr-0001",
                call_id="call-edit",
                agent_id=impl,
                role="implementer",
                tool="edit",
                summary="Apply the off-by-one fix to calc/stats.py?",
                diff=DIFF,
                paths=["/work/demo/calc/stats.py"],
                cwd="/work/demo",
                risk="medium",
                rule_id="edits-ask",
                reason="edits are asked",
                owner="host:1",
            ),
        )
    validator = _agent(scene, S1, "validator")
    scene.add(
        S1,
        validator,
        ev.ToolCallRequested(
            agent_id=validator,
            call_id="call-test",
            tool="execute",
            command="python -m pytest -q",
            role="validator",
        ),
    )
    scene.add(S1, validator, ev.ToolOutput(call_id="call-test", text="..F..\n1 failed, 4 passed\n"))
    scene.add(
        S1,
        "orchestrator",
        ev.RetryScheduled(
            operation="reviewer turn", attempt=1, delay_s=2.0, error="agent timed out"
        ),
    )
    reviewer = _agent(scene, S1, "reviewer")
    scene.add(S1, reviewer, ev.AgentThought(agent_id=reviewer, text="Waiting for the fix."))
    if rejected:
        scene.add(
            SYSTEM_SESSION,
            "auth",
            ev.PolicyRejected(
                path="/home/user/.config/quarterdeck/policy.toml",
                errors=["policy.toml:12: rule 'edits-ask': unknown field 'decison'"],
                kept_hash="2bb32883c220" + "0" * 52,
            ),
        )
    return scene.records


LOGIN_REASON = (
    "agent implementer-1 (claude-agent-acp) needs a login: it answered session/prompt with"
    " 'Authentication required'. It offers no login method over ACP: log in with"
    " claude-agent-acp's own command line (or give it its API key through the role's env or"
    " secrets), or put the way in login_hint for this role in the team file. Then run the"
    " session again. Agent log: /home/user/.local/share/quarterdeck/logs/s1.implementer-1.log"
)
"""What the ACP backend records when an agent needs a login (agents/backends/login.py)."""


def needs_login() -> list[Record]:
    """One session whose implementer answered its first prompt "Authentication required"."""
    scene = Scene()
    _session(scene, S1, "Fix the failing moving_average test")
    impl = _agent(scene, S1, "implementer")
    scene.add(
        S1,
        impl,
        ev.EscalationRaised(reason=LOGIN_REASON, severity="critical", agent_id=impl),
    )
    scene.add(S1, impl, ev.AgentFailed(agent_id=impl, error=LOGIN_REASON, login_required=True))
    scene.add(
        S1,
        "orchestrator",
        ev.SessionStateChanged(
            from_state=SessionState.RUNNING, to_state=SessionState.FAILED, reason=LOGIN_REASON
        ),
    )
    scene.add(
        S1, "orchestrator", ev.SessionFinished(outcome=SessionState.FAILED, summary=LOGIN_REASON)
    )
    return scene.records


def drifted() -> list[Record]:
    """A session whose sandboxed implementer changed files no allowed action explains, beside
    a reviewer that runs without a sandbox."""
    scene = Scene()
    _session(scene, S1, "Fix the failing moving_average test")
    impl = "implementer-1"
    confined = ev.SandboxInfo(kind="bwrap", writable=["/work/demo"], hidden=["/home/user/.ssh"])
    scene.add(
        S1,
        impl,
        ev.AgentStarted(agent_id=impl, role="implementer", backend="acp", sandbox=confined),
    )
    scene.add(S1, impl, ev.AgentMessage(agent_id=impl, text="Fixed it with my own shell.\n"))
    scene.add(S1, impl, ev.AgentStopped(agent_id=impl, stop_reason="end_turn"))
    files = [
        ev.DriftedFile(status="added", path="direct.txt"),
        ev.DriftedFile(status="modified", path="calc/stats.py"),
    ]
    scene.add(S1, "orchestrator", ev.WorkspaceDrift(agent_id=impl, turn=1, files=files, total=2))
    scene.add(
        S1,
        "orchestrator",
        ev.EscalationRaised(
            reason="workspace drift: implementer-1 changed 2 file(s) in turn 1 that no allowed"
            " write or command explains: calc/stats.py (modified), direct.txt (added)",
            severity="critical",
            agent_id=impl,
        ),
    )
    reviewer = "reviewer-1"
    unconfined = ev.SandboxInfo(kind="none", reason="bubblewrap (bwrap) is not on PATH")
    scene.add(
        S1,
        reviewer,
        ev.AgentStarted(agent_id=reviewer, role="reviewer", backend="acp", sandbox=unconfined),
    )
    scene.add(S1, reviewer, ev.AgentThought(agent_id=reviewer, text="Reading the change."))
    return scene.records


def talked_to() -> list[Record]:
    """An implementer at work with two messages from a person queued for the end of its turn,
    and a reviewer not started yet that one message waits for."""
    scene = Scene()
    _session(scene, S1, "Fix the failing moving_average test")
    impl = _agent(scene, S1, "implementer")
    scene.add(S1, impl, ev.AgentMessage(agent_id=impl, text="Reading calc/stats.py.\n"))
    scene.add(
        S1,
        impl,
        ev.ToolCallRequested(
            agent_id=impl,
            call_id="c1",
            role="implementer",
            tool="execute",
            title="Run the tests",
            command="pytest -q",
        ),
    )
    for n, (agent, role, text) in enumerate(
        [
            (impl, "implementer", "Keep the public signature of moving_average."),
            (impl, "implementer", "Then add a test for a window of 1."),
            ("reviewer-1", "reviewer", "Check the edge cases twice."),
        ],
        1,
    ):
        message = ev.HumanMessage(
            message_id=f"m{n}", agent_id=agent, role=role, text=text, by="ann"
        )
        scene.add(S1, "human:ann", message)
    return scene.records


def _usage(scene: Scene, sid: str, agent: str, **usage: object) -> None:
    scene.add(sid, agent, ev.AgentUsage(agent_id=agent, **usage))  # type: ignore[arg-type]


def costly() -> list[Record]:
    """Agents that report usage: a finished session that cost dollars and euros, and a running
    one whose implementer was restarted in a new ACP session (its two totals add up)."""
    scene = Scene()
    _session(scene, S2, "Add a --json flag to the report command")
    done = _agent(scene, S2, "implementer")
    _usage(scene, S2, done, acp_session_id="a", used=88000, size=200000, cost=1.1, currency="USD")
    euro = _agent(scene, S2, "reviewer")
    _usage(scene, S2, euro, acp_session_id="b", used=900, size=128000, cost=0.2, currency="EUR")
    scene.add(
        S2, "orchestrator", ev.SessionFinished(outcome=SessionState.SUCCEEDED, summary="done")
    )
    _session(scene, S1, "Fix the failing moving_average test")
    planner = _agent(scene, S1, "planner")
    _usage(
        scene, S1, planner, acp_session_id="p", used=18900, size=200000, cost=0.049, currency="USD"
    )
    impl = _agent(scene, S1, "implementer")
    _usage(scene, S1, impl, acp_session_id="i1", used=150000, size=200000, cost=0.3, currency="USD")
    scene.add(S1, impl, ev.AgentFailed(agent_id=impl, error="exited with code 1"))
    impl_again = ev.AgentStarted(agent_id=impl, role="implementer", backend="acp")
    scene.add(S1, impl, impl_again)  # a new process, a new ACP session: its cost starts at 0
    _usage(scene, S1, impl, acp_session_id="i2", used=41200, size=200000, cost=0.12, currency="USD")
    scene.add(S1, impl, ev.AgentMessage(agent_id=impl, text="Fixing the window count.\n"))
    reviewer = _agent(scene, S1, "reviewer")
    scene.add(S1, reviewer, ev.AgentThought(agent_id=reviewer, text="Waiting for the fix."))
    return scene.records


PROJECT = Path("/home/you/calc")
"""The workspace the new-session form opens on in its scene (it does not exist)."""


class SceneLauncher:
    """The new-session form's launcher in a scene: fixed team files, the real checks."""

    def team_files(self, workspace: Path) -> list[TeamFile]:
        """A project team, the config dir's, and the bundled two (by name only)."""
        shipped = Path("/opt/quarterdeck/sessions/configs")
        return [
            TeamFile("project", PROJECT / ".quarterdeck" / "team.toml"),
            TeamFile("config", Path("/home/you/.config/quarterdeck/team.toml")),
            TeamFile("bundled", shipped / "team.toml"),
            TeamFile("bundled", shipped / "demo-team.toml"),
        ]

    async def start_session(
        self, task: str, workspace: Path, team_path: Path | None, *, worktree: bool = False
    ) -> str:
        """Refuses as the supervisor would: none of the scene's paths exist."""
        checked = await asyncio.to_thread(check, task, workspace, team_path)
        return checked.task


def worktree_status() -> WorktreeStatus:
    """S2's worktree as the modal shows it: two uncommitted changes, nothing committed yet."""
    worktree = Worktree(
        session_id=S2,
        repo=PROJECT,
        path=Path("/home/you/.quarterdeck-worktrees/calc") / S2[:8],
        workspace=Path("/home/you/.quarterdeck-worktrees/calc") / S2[:8],
        branch=f"quarterdeck/{S2[:8]}",
        base_branch="main",
        base_commit="9a1b2c3d4e5f" * 3 + "9a1b",
    )
    recorded = Recorded(worktree=worktree, state="open", session_state="succeeded")
    changes = ("calc/stats.py", "tests/test_stats.py")
    return WorktreeStatus(recorded=recorded, exists=True, changes=changes, commits=0)


class RefusingEnder:
    """The worktree modal's supervisor in a scene: every choice refused, as a conflict is."""

    async def finish_worktree(
        self, session_id: str, choice: WorktreeChoice, *, force: bool = False
    ) -> WorktreeOutcome:
        """Refuses, as a merge into a branch that changed the same lines is."""
        raise WorktreeRefusedError(
            f"merging quarterdeck/{session_id[:8]} into main conflicts in calc/stats.py:"
            " nothing was changed; keep the branch and merge by hand in /home/you/calc:"
            f" `git switch main && git merge quarterdeck/{session_id[:8]}`"
        )
