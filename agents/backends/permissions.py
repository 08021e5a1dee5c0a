"""``session/request_permission``: the agent's own tool calls, decided by the same gate.

The tool call is mapped to a ``ToolRequest`` as well as its ``kind`` and ``rawInput`` allow
(agents differ: Claude sends ``command``, others ``cmd`` or a list; paths come as ``path``,
``file_path`` or ``locations``). The answer picks an option **by kind**, never by id: ids vary
per agent and some offer only a subset of kinds (acp.md §5.5).
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Sequence
from pathlib import Path

from acp.schema import (
    AllowedOutcome,
    DeniedOutcome,
    FileEditToolCallContent,
    PermissionOption,
    RequestPermissionResponse,
    ToolCallUpdate,
)

from agents.auth.paths import is_url
from agents.auth.requests import ToolKind, ToolRequest

CANCELLED = RequestPermissionResponse(outcome=DeniedOutcome(outcome="cancelled"))
"""The answer for a cancelled prompt, or when no option fits."""

_ALLOW_KINDS = ("allow_once", "allow_always")
_REJECT_KINDS = ("reject_once", "reject_always")
DIFF_LIMIT = 64 * 1024
"""At most this much of a proposed diff is kept with an approval (agents can send anything)."""
_PATH_KEYS = ("path", "file_path", "filePath", "abs_path", "notebook_path", "source", "destination")


def _kind(value: object) -> ToolKind:
    try:
        return ToolKind(str(value))
    except ValueError:
        return ToolKind.OTHER  # switch_mode and anything newer


def _command(raw: dict[str, object]) -> str | None:
    for key in ("command", "cmd"):
        value = raw.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return shlex.join([str(v) for v in value])
    return None


def request_for(tool_call: ToolCallUpdate, *, role: str, workspace: Path) -> ToolRequest:
    """The ``ToolRequest`` that best describes an agent's tool call (unknown kind → OTHER)."""
    raw = tool_call.raw_input if isinstance(tool_call.raw_input, dict) else {}
    paths: list[str] = [loc.path for loc in tool_call.locations or []]
    for key in _PATH_KEYS:
        value = raw.get(key)
        if isinstance(value, str):
            paths.append(value)
    listed = raw.get("paths")
    if isinstance(listed, list):
        paths.extend(p for p in listed if isinstance(p, str))
    # A proposed edit names its file in its diff: the policy must see it even without locations.
    paths.extend(d.path for d in _diffs(tool_call))
    # Relative paths are taken to be the workspace's, where the agent runs; a URL is left as
    # it is (joined, `file:///etc/passwd` would pass for a workspace file).
    resolved = tuple(
        dict.fromkeys(p if is_url(p) else str((workspace / p).resolve()) for p in paths)
    )
    cwd = raw.get("cwd")
    url = raw.get("url")
    return ToolRequest(
        tool=_kind(tool_call.kind),
        role=role,
        workspace=workspace,
        command=_command(raw),
        paths=resolved,
        url=url if isinstance(url, str) else None,
        cwd=(workspace / cwd).resolve() if isinstance(cwd, str) else None,
    )


def _diffs(tool_call: ToolCallUpdate) -> list[FileEditToolCallContent]:
    return [c for c in tool_call.content or [] if isinstance(c, FileEditToolCallContent)]


def new_texts(tool_call: ToolCallUpdate, workspace: Path) -> tuple[tuple[str, str], ...]:
    """``(resolved path, new text)`` of each proposed edit: what the write must then contain."""
    return tuple((str((workspace / d.path).resolve()), d.new_text) for d in _diffs(tool_call))


def diff_of(tool_call: ToolCallUpdate) -> str | None:
    """The proposed edits of a tool call (ACP ``diff`` content) as one unified diff, if any."""
    parts: list[str] = []
    for edit in _diffs(tool_call):
        old = (edit.old_text or "").splitlines(keepends=True)
        new = edit.new_text.splitlines(keepends=True)
        before = edit.path if edit.old_text is not None else "/dev/null"
        lines = difflib.unified_diff(old, new, before, edit.path)  # as the executor writes them
        parts.extend(line if line.endswith("\n") else f"{line}\n" for line in lines)
    return "".join(parts)[:DIFF_LIMIT] or None


def summary_of(tool_call: ToolCallUpdate, request: ToolRequest) -> str:
    """One line for the approval queue."""
    subject = request.command or ", ".join(request.paths) or request.url or ""
    title = tool_call.title or request.tool.value
    return f"{title}: {subject}" if subject and subject not in title else title


def choose(options: Sequence[PermissionOption], allowed: bool) -> RequestPermissionResponse:
    """Pick the option whose kind matches the decision (once preferred); none → cancelled."""
    for kind in _ALLOW_KINDS if allowed else _REJECT_KINDS:
        for option in options:
            if option.kind == kind:
                return RequestPermissionResponse(
                    outcome=AllowedOutcome(outcome="selected", option_id=option.option_id)
                )
    return CANCELLED
