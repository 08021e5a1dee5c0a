"""Running the user's ``git`` on a repository, with errors a user can act on.

Unlike the checkpoints' shadow repository, these commands act on the user's own repository, so
the user's git configuration applies (their identity signs the commits they accept, their
hooks run on a merge). Only the variables that say where a repository is are dropped — a
``GIT_DIR`` or ``GIT_INDEX_FILE`` inherited from a hook would point every command at the wrong
one — and messages are in English, to be read and parsed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sessions.errors import QuarterdeckError

FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "Quarterdeck",
    "GIT_AUTHOR_EMAIL": "quarterdeck@localhost",
    "GIT_COMMITTER_NAME": "Quarterdeck",
    "GIT_COMMITTER_EMAIL": "quarterdeck@localhost",
}
"""Who commits when the repository names nobody (``user.name`` unset): a commit is still made."""


class WorktreeError(QuarterdeckError):
    """A worktree could not be made, merged, kept or discarded; the message says why and what
    to do. Nothing was changed unless it says so."""


@dataclass(frozen=True, slots=True)
class Done:
    """A finished git command: its exit status and its output (stdout, then stderr)."""

    code: int
    out: str
    err: str

    @property
    def ok(self) -> bool:
        """It exited 0."""
        return self.code == 0


_LOCATION = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
        "GIT_PREFIX",
    }
)
"""The variables that point git at a repository: never inherited."""


def _env(extra: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _LOCATION}
    env.update(LC_ALL="C", GIT_TERMINAL_PROMPT="0", GIT_EDITOR="true", GIT_MERGE_AUTOEDIT="no")
    if extra:
        env.update(extra)
    return env


def run(cwd: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Done:
    """Run ``git args`` in ``cwd``; never raises for a non-zero exit (the caller decides)."""
    git = shutil.which("git")
    if git is None:
        raise WorktreeError("git is not installed: a session in a worktree needs it")
    try:
        done = subprocess.run(
            [git, *args],
            cwd=cwd,
            env=_env(env),
            input=stdin,
            capture_output=True,
            text=True,
            errors="surrogateescape",  # a file name that is not UTF-8 still round-trips
            check=False,
        )
    except OSError as exc:
        raise WorktreeError(f"cannot run git in {cwd}: {exc.strerror}") from exc
    return Done(done.returncode, done.stdout, done.stderr)


def git(cwd: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> str:
    """Run ``git args`` in ``cwd``; its stdout, or :class:`WorktreeError` naming the step."""
    done = run(cwd, *args, env=env, stdin=stdin)
    if not done.ok:
        raise WorktreeError(f"git {args[0]} in {cwd} failed: {last_line(done)}")
    return done.out


def last_line(done: Done) -> str:
    """The last line git wrote to stderr (its reason), or the exit status."""
    lines = [line for line in done.err.strip().splitlines() if line.strip()]
    return (
        lines[-1].removeprefix("fatal: ").removeprefix("error: ") if lines else f"exit {done.code}"
    )


def identity(cwd: Path) -> dict[str, str]:
    """The environment a commit in ``cwd`` needs: nothing when the repository names its user,
    else :data:`FALLBACK_IDENTITY`."""
    return {} if run(cwd, "var", "GIT_COMMITTER_IDENT").ok else dict(FALLBACK_IDENTITY)


def nul_paths(text: str) -> list[str]:
    """Paths from NUL-separated output."""
    return [p for p in text.split("\0") if p]


def status_paths(cwd: Path) -> list[str]:
    """Every path ``git status`` reports as changed in the checkout ``cwd`` (staged, unstaged
    or untracked; ignored files are not changes), relative to its top level."""
    out = git(cwd, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames")
    return sorted({entry[3:] for entry in nul_paths(out)})
