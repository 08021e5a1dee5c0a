"""The demo's sample project, copied for a run and made a git repository.

The reviewer's playbook starts with ``git diff``: in a repository whose first commit is the
untouched sample, that diff is exactly what the session changed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from agents.team import demo_dir
from sessions.errors import QuarterdeckError

_IDENTITY = ("-c", "user.name=Quarterdeck demo", "-c", "user.email=demo@quarterdeck.invalid")


class DemoWorkspaceError(QuarterdeckError):
    """The sample project could not be copied or made a repository."""


def copy_demo_workspace(dest: Path) -> bool:
    """Copy the sample project to ``dest`` (which must not exist) and commit it.

    Returns False when git is not installed: the copy is made, but it is no repository and the
    reviewer's diff is empty. Raises :class:`DemoWorkspaceError` when git fails.
    """
    shutil.copytree(demo_dir() / "workspace", dest)
    git = shutil.which("git")
    if git is None:
        return False
    # The user's and the system's git config stay out of it (hooks, signing, templates).
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    for name, *args in (
        ("init", "--quiet", "--initial-branch=main"),
        ("add", "--all"),
        ("commit", "--quiet", "--no-gpg-sign", "-m", "The sample project"),
    ):
        done = subprocess.run(
            [git, *_IDENTITY, name, *args],
            cwd=dest,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            detail = done.stderr.strip() or f"exit {done.returncode}"
            raise DemoWorkspaceError(f"git {name} in {dest} failed: {detail}")
    return True
