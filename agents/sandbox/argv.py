"""The bubblewrap command line for one confined process: a pure function of a :class:`Mounts`.

Mounts are applied shallowest first, so a deeper one wins: the workspace bound inside the
private ``/tmp`` is visible again, and a secret directory inside the workspace stays hidden.
At equal depth a hiding mount comes after a bind, so hidden always wins a tie.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PRIVATE_TMP = Path("/tmp")
"""Replaced by an empty tmpfs per process: nothing the agent leaves there outlives it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Mounts:
    """What a confined process may see and write; every path absolute and resolved."""

    workspace: Path
    writable: tuple[Path, ...] = ()
    """The agent's own state directories and files, bound read-write besides the workspace."""
    readable: tuple[Path, ...] = ()
    """Paths under the private /tmp bound back read-only: the agent's program and files on its
    command line, and the interpreter and code Quarterdeck runs agents with."""
    hidden_dirs: tuple[Path, ...] = ()
    """Directories replaced by an empty tmpfs."""
    hidden_files: tuple[Path, ...] = ()
    """Files replaced by ``empty_file`` (read-only)."""
    empty_file: Path = Path("/dev/null")
    """An empty regular file to bind over hidden files (``/dev/null`` from the host cannot be
    read there: bubblewrap binds with ``nodev``)."""
    network: bool = True


def _depth(path: Path) -> int:
    return len(path.parts)


def bwrap_argv(bwrap: str, mounts: Mounts, *, cwd: Path, argv: Sequence[str]) -> list[str]:
    """``argv`` run by ``bwrap`` in ``cwd`` under ``mounts``."""
    # (depth, rank, arguments): rank orders equal depths — /tmp, binds, then hiding.
    ops: list[tuple[int, int, tuple[str, ...]]] = [(1, 0, ("--tmpfs", str(PRIVATE_TMP)))]
    for path in mounts.readable:
        ops.append((_depth(path), 1, ("--ro-bind", str(path), str(path))))
    for path in (mounts.workspace, *mounts.writable):
        ops.append((_depth(path), 1, ("--bind", str(path), str(path))))
    for path in mounts.hidden_dirs:
        ops.append((_depth(path), 2, ("--tmpfs", str(path))))
    for path in mounts.hidden_files:
        ops.append((_depth(path), 2, ("--ro-bind", str(mounts.empty_file), str(path))))
    ops.sort(key=lambda op: (op[0], op[1]))
    command = [bwrap, "--die-with-parent", "--unshare-pid", "--as-pid-1"]
    if not mounts.network:
        command.append("--unshare-net")
    command += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for *_, args in ops:
        command.extend(args)
    command += ["--setenv", "TMPDIR", str(PRIVATE_TMP), "--chdir", str(cwd), "--", *argv]
    return command
