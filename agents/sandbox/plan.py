"""Which paths a confined agent writes and which it never sees, from the team file and policy.

Hidden: the paths of every policy rule that denies reads to everyone (the default policy's
``@secrets``: ``~/.ssh``, cloud credentials, ``~/.netrc`` …) and its ``protected_paths``, plus
Quarterdeck's own config and data directories — under the user's home and under a ``HOME`` the
team file gives the role. Only globs a mount can express are used: a literal path, or a literal
directory followed by ``/**``; ``/**/.env`` and the like stay with the gate. A path that does
not exist needs no hiding (and has no mount point). Writable: the workspace and the agent's
state directories, the known ones of its command (:data:`KNOWN_STATE`) and the team file's.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from agents.auth.compiled import LoadedPolicy
from agents.auth.requests import Decision, ToolKind
from agents.sandbox.argv import PRIVATE_TMP, Mounts

_NPM = ("~/.npm/",)
KNOWN_STATE: dict[str, tuple[str, ...]] = {
    "claude-agent-acp": ("~/.claude/", "~/.claude.json", *_NPM),
    "claude-code-acp": ("~/.claude/", "~/.claude.json", *_NPM),
    "gemini": ("~/.gemini/", *_NPM),
    "opencode": (
        "~/.config/opencode/",
        "~/.local/share/opencode/",
        "~/.cache/opencode/",
        "~/.local/state/opencode/",
        *_NPM,
    ),
    "codex-acp": ("~/.codex/", *_NPM),
    "npx": _NPM,
    # fast-agent keeps its state in .fast-agent/ of its working directory: the workspace.
}
"""State directories and files (``~`` is the agent's home) of the agents the conformance
matrix runs, by the basename of their command. A directory (a trailing ``/``; every entry of a
team file's ``state_dirs``) is created when missing, as the agent would have done itself; a
file is bound only when it exists."""

_GLOB = frozenset("*?[")


def known_state(command: str) -> tuple[str, ...]:
    """The known state directories (``…/``) and files of the agent ``command`` starts."""
    return KNOWN_STATE.get(Path(command).name, ())


def secret_globs(policy: LoadedPolicy) -> tuple[str, ...]:
    """The path globs the policy never lets anyone read, and its protected paths."""
    found: list[str] = []
    for rule in policy.rules:
        everyone = rule.roles is None and rule.commands is None and rule.with_args is None
        reads = rule.tools is None or ToolKind.READ in rule.tools
        if rule.decision is Decision.DENY and rule.paths and everyone and reads:
            found.extend(rule.paths)
    found.extend(policy.protected_globs)
    return tuple(dict.fromkeys(found))


def mount_target(glob: str, home: Path) -> Path | None:
    """The path a mount can hide for ``glob`` (``~`` is ``home``), or None when none can."""
    if "{" in glob:
        return None  # {workspace}: the workspace is the agent's to see
    text = glob.removesuffix("/**")
    if _GLOB.intersection(text):
        return None
    if text == "~" or text.startswith("~/"):
        text = str(home) + text[1:]
    return Path(text) if text.startswith("/") else None


def _resolved(path: Path) -> Path | None:
    """``path`` with symlinks resolved, or None when it does not exist."""
    real = Path(os.path.realpath(path))
    return real if os.path.lexists(real) else None


def _inside(path: Path, roots: Iterable[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def install_root(path: Path) -> Path:
    """What a program (or a file on its command line) under the private /tmp needs besides
    itself: the ``node_modules`` it lies in (npm's ``.bin`` links and their packages) or the
    virtual environment it belongs to; else just itself."""
    for parent in path.parents:
        if parent == PRIVATE_TMP or not parent.is_relative_to(PRIVATE_TMP):
            break
        if parent.name == "node_modules" or (parent / "pyvenv.cfg").is_file():
            return parent
    return path


def linked_repository(workspace: Path) -> Path | None:
    """The git directory of the repository a linked worktree (``git worktree add``, as a
    session's own worktree is) belongs to: its ``.git`` is a file naming a directory of that
    repository's. The agent reads it (``git diff``) even when it lies under the private /tmp;
    None when ``workspace`` is in no linked worktree. Reads the file system."""
    for parent in (workspace, *workspace.parents):
        marker = parent / ".git"
        if marker.is_dir():
            return None
        if not marker.is_file():
            continue
        try:
            text = marker.read_text(errors="replace").strip()
            if not text.startswith("gitdir:"):
                return None
            own = parent / text.removeprefix("gitdir:").strip()
            common = own / "commondir"  # the worktree's directory says where its repository is
            return (own / common.read_text().strip()).resolve() if common.is_file() else None
        except OSError:
            return None
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """The mounts of one agent and what was left out of them (for ``agent.started``)."""

    mounts: Mounts
    refused: tuple[Path, ...] = ()
    """State directories not bound because a hidden path covers them."""


def plan_mounts(
    *,
    workspace: Path,
    globs: Sequence[str],
    protected: Sequence[Path],
    homes: Sequence[Path],
    agent_home: Path,
    state_dirs: Sequence[str],
    network: bool,
    empty_file: Path,
    keep: Sequence[Path] = (),
) -> Plan:
    """The mounts for an agent in ``workspace``; reads the file system (existence, symlinks).

    ``keep`` are paths the agent needs to read even where they lie under the private /tmp (its
    program, the files its command line names, the interpreter): those under /tmp are bound
    back read-only, with the tree each belongs to (:func:`install_root`)."""
    root = Path(os.path.realpath(workspace))
    hidden: set[Path] = set()
    for home in dict.fromkeys(homes):
        for glob in globs:
            target = mount_target(glob, home)
            if target is not None and (real := _resolved(target)) is not None:
                hidden.add(real)
    hidden.update(real for p in protected if (real := _resolved(p)) is not None)
    hidden.discard(root)
    writable: list[Path] = []
    refused: list[Path] = []
    for entry in dict.fromkeys(state_dirs):
        target = mount_target(entry.rstrip("/") or entry, agent_home)
        missing_dir = target is not None and entry.endswith("/") and not os.path.lexists(target)
        if (
            missing_dir
            and target is not None
            and not _inside(Path(os.path.realpath(target)), hidden)
        ):
            target.mkdir(mode=0o700, parents=True, exist_ok=True)
        real = _resolved(target) if target is not None else None
        if real is None or real == root:
            continue
        (refused if _inside(real, hidden) else writable).append(real)
    trees = [install_root(p) for p in keep if p.is_relative_to(PRIVATE_TMP)]
    readable = sorted(
        {
            real
            for p in (*keep, *trees)
            if (real := _resolved(p)) is not None
            and real.is_relative_to(PRIVATE_TMP)
            and not _inside(real, (root, *writable))
        }
    )
    binds = (root, *writable, *readable)
    # Under the private /tmp only what is bound back is visible: nothing else needs hiding.
    shown = sorted(p for p in hidden if not p.is_relative_to(PRIVATE_TMP) or _inside(p, binds))
    mounts = Mounts(
        workspace=root,
        writable=tuple(writable),
        readable=tuple(readable),
        hidden_dirs=tuple(p for p in shown if p.is_dir()),
        hidden_files=tuple(p for p in shown if not p.is_dir()),
        empty_file=empty_file,
        network=network,
    )
    return Plan(mounts=mounts, refused=tuple(refused))
