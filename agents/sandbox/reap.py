"""Ending a sandboxed process from the inside out, so that nothing is left for init to reap.

``bwrap`` is the leader of a sandboxed process's group and the parent of the command. Killing
the whole group at once can kill ``bwrap`` before it has reaped the command, which then goes to
the system's init as a zombie — still a member of the group until reaped, and never reaped
where pid 1 does not reap (a container's entry point). Signalling the group's other members
first lets ``bwrap`` see its child exit, reap it and exit on its own. (``--as-pid-1`` keeps
bwrap from putting an init of its own between them, which it would leave unreaped.)
"""

from __future__ import annotations

import contextlib
import os
import signal


def group_members(pgid: int) -> list[int]:
    """The pids of process group ``pgid`` other than its leader (read from ``/proc``)."""
    found: list[int] = []
    try:
        entries = os.scandir("/proc")
    except OSError:
        return found
    with entries:
        for entry in entries:
            if not entry.name.isdigit() or int(entry.name) == pgid:
                continue
            try:
                with open(os.path.join(entry.path, "stat"), "rb") as handle:
                    stat = handle.read()
            except OSError:
                continue  # gone meanwhile
            # "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses.
            fields = stat[stat.rfind(b")") + 2 :].split()
            if len(fields) > 2 and int(fields[2]) == pgid:
                found.append(int(entry.name))
    return found


def signal_members(pgid: int, sig: signal.Signals) -> int:
    """Send ``sig`` to every member of group ``pgid`` but its leader; how many were sent it."""
    sent = 0
    for pid in group_members(pgid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
            sent += 1
    return sent
