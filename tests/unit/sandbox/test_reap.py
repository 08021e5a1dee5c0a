"""Ending a process group from the inside out: the members first, the leader last."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from agents.backends.process import terminate
from agents.sandbox.argv import Mounts, bwrap_argv
from agents.sandbox.reap import group_members, signal_members


def test_members_are_the_group_without_its_leader() -> None:
    leader = subprocess.Popen(
        ["/bin/sh", "-c", "sleep 60 & sleep 61 & wait"], start_new_session=True
    )
    try:
        members: list[int] = []
        for _ in range(500):  # until both children exist (no sleeps: poll /proc)
            members = group_members(leader.pid)
            if len(members) == 2:
                break
        assert len(members) == 2 and leader.pid not in members
        assert signal_members(leader.pid, signal.SIGKILL) == 2
        assert leader.wait(timeout=10) == 0  # its children died; the shell itself was spared
    finally:
        leader.kill()
        leader.wait()


def test_a_sandboxed_group_is_gone_when_terminate_returns(tmp_path: Path) -> None:
    """bwrap reaps its command before it exits: nothing is left for the system's init."""
    bwrap = shutil.which("bwrap")
    assert bwrap, "bubblewrap is required here (.ci/run installs it)"
    argv = bwrap_argv(bwrap, Mounts(workspace=tmp_path), cwd=tmp_path, argv=["sleep", "300"])

    async def run() -> int:
        process = await asyncio.create_subprocess_exec(
            *argv, start_new_session=True, stdin=asyncio.subprocess.PIPE
        )
        for _ in range(500):
            if group_members(process.pid):
                break
            await asyncio.sleep(0)
        await terminate(process, 0.2, leader_last=True)
        return process.pid

    pgid = asyncio.run(run())
    try:
        os.killpg(pgid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive, f"left behind in the group: {group_members(pgid)} ({sys.platform})"
