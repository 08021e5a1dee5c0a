"""``session/request_permission``: the agent's own tool calls, decided by the same gate.

The tool call is mapped to a ``ToolRequest`` as well as its ``kind`` and ``rawInput`` allow
(agents differ: Claude sends ``command``, others ``cmd`` or a list; paths come as ``path``,
``file_path`` or ``locations``). The answer picks an option **by kind**, never by id: ids vary
per agent and some offer only a subset of kinds (acp.md §5.5).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

from acp.schema import (
    AllowedOutcome,
    DeniedOutcome,
    PermissionOption,
    RequestPermissionResponse,
    ToolCallUpdate,
)

from agents.auth.requests import ToolKind, ToolRequest

CANCELLED = RequestPermissionResponse(outcome=DeniedOutcome(outcome="cancelled"))
"""The answer for a cancelled prompt, or when no option fits."""

_ALLOW_KINDS = ("allow_once", "allow_always")
_REJECT_KINDS = ("reject_once", "reject_always")
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
    # Relative paths are taken to be the workspace's, where the agent runs.
    resolved = tuple(dict.fromkeys(str((workspace / p).resolve()) for p in paths))
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
