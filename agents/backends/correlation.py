"""One action, one decision: match the request that carries out a permission to its decision.

Real agents ask ``session/request_permission`` for a tool call and then, once allowed, carry it
out through ``fs/*`` or ``terminal/create``. Each decided permission leaves a :class:`Permit`
for the rest of the turn; the execution that matches one rides on its decision instead of
being asked again (:class:`~agents.auth.calls.Precedent`). A match needs the same action: the
same path for a file (and, where the agent showed a diff, content holding its new text), the
same command line for a terminal — with ``sh -c`` / ``sh -lc`` wrappers of a literal script
unwrapped on both sides — and the same ``toolCallId`` where the execution names one. An
allowed permit is consumed by the execution of its own kind (a second write is decided on its
own); a refused one refuses every matching execution until the turn ends. Pure: no I/O.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from agents.auth.calls import Precedent
from agents.auth.requests import ToolKind, ToolRequest

PERMITS_PER_TURN = 256
"""Permits kept per turn at most (the oldest go first): an agent cannot grow this unbounded."""

_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh"})
_SCRIPT_FLAGS = frozenset({"-c", "-lc", "-cl"})
_QUOTED_WRAPPER = re.compile(r"""[\w./-]+ +-(?:c|lc|cl) +(?:'[^']*'|"[^"$`\\!]*")""")
"""A wrapper whose script is one quoted string that the outer shell expands nothing in."""
_SHELL_CHARS = frozenset("|&;<>()$`*?[]~{}\n\\!#=")
"""Characters whose meaning can depend on quoting: a line with any must match verbatim. Without
them quotes only group words, so ``'a b'`` and ``"a b"`` are the same word."""

_COVERED_BY: dict[ToolKind, tuple[ToolKind, ...]] = {
    ToolKind.READ: (ToolKind.READ, ToolKind.EDIT),  # an agent reads the file it will edit
    ToolKind.EDIT: (ToolKind.EDIT,),
    ToolKind.EXECUTE: (ToolKind.EXECUTE,),
}
"""For each kind of execution, the kinds of permission it can carry out."""

CommandKey = tuple[str, ...]
"""A command line in the form two lines are compared in (see :func:`command_key`)."""


def script_of(line: str) -> str:
    """The script a ``sh -c 'SCRIPT'`` (or ``bash -lc``, ``/bin/sh -c`` …) line runs, unwrapped
    as often as it is wrapped; any other line as it is.

    Only a wrapper that is exactly three words is unwrapped — written as ``shlex.join``
    writes it (the form ``terminal/create`` with ``args`` takes here) or with its script in one
    pair of quotes the outer shell expands nothing in — so nothing outside the script can run.
    """
    current = line.strip()
    for _ in range(8):
        try:
            words = shlex.split(current)
        except ValueError:
            return current
        wrapped = (
            len(words) == 3
            and PurePosixPath(words[0]).name in _SHELLS
            and words[1] in _SCRIPT_FLAGS
            and (shlex.join(words) == current or _QUOTED_WRAPPER.fullmatch(current) is not None)
        )
        if not wrapped:
            return current
        current = words[2].strip()
    return current


def command_key(line: str) -> CommandKey:
    """How a command line is compared: a simple command by its words (quoting aside), any line
    with shell syntax by its exact text — after unwrapping a shell wrapper either way."""
    script = script_of(line)
    if _SHELL_CHARS.isdisjoint(script):
        try:
            return ("argv", *shlex.split(script))
        except ValueError:
            pass
    return ("text", script)


@dataclass(frozen=True, slots=True, kw_only=True)
class Permit:
    """A decided permission request, waiting for the execution that carries it out."""

    tool_call_id: str
    tool: ToolKind
    precedent: Precedent
    paths: frozenset[str] = frozenset()
    command: CommandKey | None = None
    cwd: Path | None = None
    new_texts: tuple[tuple[str, str], ...] = ()
    """``(path, new text)`` of each diff the agent showed: what a write must contain."""

    @property
    def subject(self) -> tuple[object, ...]:
        """What the permit is for, regardless of its answer."""
        return (self.tool, self.paths, self.command, self.cwd)


def permit_for(
    tool_call_id: str,
    request: ToolRequest,
    precedent: Precedent,
    *,
    new_texts: Iterable[tuple[str, str]] = (),
) -> Permit | None:
    """The permit a decided permission request leaves; None when no fs/terminal request can
    carry it out (a fetch, a search, a path-less edit, a command-less execute)."""
    if request.tool not in (ToolKind.READ, ToolKind.EDIT, ToolKind.EXECUTE):
        return None
    if request.tool is ToolKind.EXECUTE:
        if request.command is None:
            return None
        return Permit(
            tool_call_id=tool_call_id,
            tool=request.tool,
            precedent=precedent,
            command=command_key(request.command),
            cwd=request.cwd,
        )
    if not request.paths:
        return None
    return Permit(
        tool_call_id=tool_call_id,
        tool=request.tool,
        precedent=precedent,
        paths=frozenset(request.paths),
        new_texts=tuple(new_texts),
    )


def _carries_out(
    permit: Permit, request: ToolRequest, *, key: CommandKey | None, content: str | None
) -> bool:
    """Whether executing ``request`` (writing ``content``) is the action ``permit`` is for."""
    if request.tool is ToolKind.EXECUTE:
        same_cwd = permit.cwd is None or permit.cwd == request.cwd
        return key is not None and permit.command == key and same_cwd
    if len(request.paths) != 1 or request.paths[0] not in permit.paths:
        return False
    if request.tool is not ToolKind.EDIT or not permit.precedent.allowed:
        return True  # a refused edit refuses any write of its path, whatever the content
    shown = [text for path, text in permit.new_texts if path == request.paths[0]]
    return not shown or (content is not None and any(text in content for text in shown))


class Permits:
    """One agent's decided permission requests in the current turn, in the order decided."""

    def __init__(self, *, limit: int = PERMITS_PER_TURN) -> None:
        self._permits: list[Permit] = []
        self._limit = limit

    def __len__(self) -> int:
        return len(self._permits)

    def grant(self, permit: Permit) -> None:
        """Keep ``permit`` for the turn; it replaces earlier ones for the same action that were
        answered the other way (the agent asked again, and the newer answer holds)."""
        allowed = permit.precedent.allowed
        self._permits = [
            p
            for p in self._permits
            if p.subject != permit.subject or p.precedent.allowed == allowed
        ]
        self._permits.append(permit)
        del self._permits[: -self._limit]

    def match(
        self, request: ToolRequest, *, tool_call_id: str | None = None, content: str | None = None
    ) -> Precedent | None:
        """The decision an execution rides on, or None to decide it on its own.

        A refused permission for the same action wins; otherwise the oldest allowed one, which
        is used up if the execution is of its own kind.
        """
        kinds = _COVERED_BY.get(request.tool)
        if kinds is None:
            return None
        key = command_key(request.command) if request.command is not None else None
        found = [
            p
            for p in self._permits
            if p.tool in kinds
            and (tool_call_id is None or p.tool_call_id == tool_call_id)
            and _carries_out(p, request, key=key, content=content)
        ]
        for permit in found:
            if not permit.precedent.allowed and permit.tool is request.tool:
                return permit.precedent
        allowed = [p for p in found if p.precedent.allowed]
        allowed.sort(key=lambda p: p.tool is not request.tool)  # its own kind first, stable
        if not allowed:
            return None
        chosen = allowed[0]
        if chosen.tool is request.tool:
            self._permits.remove(chosen)
        return chosen.precedent

    def expire(self) -> int:
        """End of the turn: unmatched permits lapse. Returns how many there were."""
        count = len(self._permits)
        self._permits.clear()
        return count
