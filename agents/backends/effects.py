"""The executor's plain parts: refusing relative paths, the argv to exec and the line the gate
judges for it, a side effect's idempotency key, and the blocking file operations it runs on a
thread."""

from __future__ import annotations

import difflib
import hashlib
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

from acp import RequestError

from agents.backends.permissions import DIFF_LIMIT

_SHELL_CHARS = set("|&;<>()$`*?[]~{}\n\\")


def idempotency_key(session_id: str, call_id: str, action: str, *, target: str) -> str:
    """A stable key for one side effect, so a replay can tell whether it already happened."""
    digest = hashlib.sha256(f"{session_id}\0{call_id}\0{action}\0{target}".encode())
    return digest.hexdigest()[:32]


def absolute(path: str) -> Path:
    """``path`` resolved; ACP requires absolute paths, so a relative one is refused."""
    candidate = Path(path)
    if not candidate.is_absolute():
        raise RequestError.invalid_params({"path": path, "reason": "paths must be absolute"})
    return candidate.resolve()


def command_argv(command: str, args: Sequence[str]) -> list[str]:
    """What to exec: the argv as given, or a shell for a command line that needs one."""
    if args:
        return [command, *args]
    if not _SHELL_CHARS.intersection(command):
        try:
            words = shlex.split(command)
        except ValueError:
            words = []
        if words:
            return words
    return ["/bin/sh", "-c", command]


def gated_line(command: str, args: Sequence[str], env: Mapping[str, str]) -> str:
    """The shell line the gate judges for a ``terminal/create``: what the agent would run.

    A command with args is that argv quoted (``/bin/sh -lc '…'`` stays a shell running its
    script, which the policy unwraps when the script is literal); a command alone is the line.
    """
    line = command if not args else shlex.join([command, *args])
    # Variables the agent sets are shown to the policy as VAR=value prefixes, so its floor for
    # them ("ask") applies instead of letting them through unseen.
    shown = " ".join(f"{shlex.quote(k)}={shlex.quote(v)}" for k, v in env.items())
    return f"{shown} {line}" if shown else line


def read_lines(path: Path, line: int | None, limit: int | None) -> str:
    """The text of ``path``, or ``limit`` lines of it from the 1-based ``line``."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if line is None and limit is None:
        return text
    lines = text.splitlines(keepends=True)
    start = max((line or 1) - 1, 0)
    end = None if limit is None else start + max(limit, 0)
    return "".join(lines[start:end])


def proposed_diff(path: Path, content: str) -> str:
    """What writing ``content`` to ``path`` would change, as a unified diff (capped)."""
    try:
        old = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    except OSError:
        old = ""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), content.splitlines(keepends=True), str(path), str(path)
    )
    return "".join(lines)[:DIFF_LIMIT]


def write_file(path: Path, content: str) -> None:
    """Write ``content`` to ``path``, creating its directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
