"""Real git repositories and sessions in worktrees for the worktree tests (no agents: the
session's events are appended as the runner would, its checkpoints taken for real)."""

from __future__ import annotations

import asyncio
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from agents.checkpoints.recorder import Checkpoints
from agents.worktrees.changes import take_end_checkpoint
from agents.worktrees.create import Worktree, create_worktree
from agents.worktrees.finish import Finisher
from sessions.schema.session import SessionContext, SessionCreated, SessionFinished, SessionState
from sessions.store.event_store import EventStore

TASK = "Fix the off-by-one in moving_average\n\nThe last window is skipped."


def sh(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` (the test's own git config: no user's hooks or identity)."""
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def git_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A git config of the test's own: an identity, a default branch, nothing of the user's."""
    config = tmp_path / "gitconfig"
    config.write_text(
        "[user]\n\tname = Test\n\temail = test@example.invalid\n"
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgSign = false\n"
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def make_repo(path: Path) -> Path:
    """A repository with one commit on ``main``: ``calc.py``, ``README.md``, a .gitignore."""
    path.mkdir(parents=True)
    sh(path, "init", "--quiet")
    (path / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (path / "README.md").write_text("# calc\n")
    (path / ".gitignore").write_text("*.log\n")
    sh(path, "add", "--all")
    sh(path, "commit", "--quiet", "-m", "first")
    return path


@dataclass
class Bench:
    """A repository, a store and checkpoints: sessions in worktrees are made here."""

    repo: Path
    store: EventStore
    checkpoints: Checkpoints

    def finisher(self) -> Finisher:
        """What the CLI and the supervisor use, acting as the test's user."""
        return Finisher(
            store=self.store, checkpoints_root=self.checkpoints.root, actor="human:tester"
        )

    def start(self, workspace: Path | None = None) -> Worktree:
        """A session in a new worktree, begun as the runner begins one (with its baseline)."""
        wt = create_worktree(workspace or self.repo)
        sid = wt.session_id
        context = SessionContext(task=TASK)
        self.store.append_sync(
            sid,
            "orchestrator",
            SessionCreated(title="fix", workspace=str(wt.workspace), context=context),
        )
        self.store.append_sync(sid, "orchestrator", wt.created())
        self.checkpoints.watch(sid, wt.workspace)
        asyncio.run(self.checkpoints.take(sid, label="session start"))
        return wt

    def end(self, wt: Worktree, outcome: SessionState = SessionState.SUCCEEDED) -> None:
        """End the session as the runner does: the end snapshot, then ``session.finished``."""
        asyncio.run(take_end_checkpoint(self.checkpoints, wt.session_id))
        self.checkpoints.forget(wt.session_id)
        self.store.append_sync(wt.session_id, "orchestrator", SessionFinished(outcome=outcome))

    def kinds(self, wt: Worktree) -> list[str]:
        """The kinds of the session's records, in order."""
        from sessions.store.reading import load_session

        return [r.kind for r in load_session(self.store.engine, wt.session_id)]
