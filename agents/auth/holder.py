"""The policy in force, swapped atomically and only for a policy that passed every check.

Parse → validate → run the inline examples happen in the loader; only a fully built
``LoadedPolicy`` replaces the current one, in a single assignment, so a decision reads either
the old policy or the new one and never a mix. A failed load keeps the last good policy (OPA's
rule) and is reported; a cold start with nothing valid holds *no* policy, and the gate denies
every tool call until one loads.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agents.auth.compiled import LoadedPolicy
from agents.auth.issues import PolicyError
from agents.auth.loader import default_policy, load_policy_file

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReloadResult:
    """What a load attempt did: ``ok`` with the new hash, or the errors and the hash kept."""

    ok: bool
    path: str | None
    policy_hash: str | None
    rules: int = 0
    errors: tuple[str, ...] = ()
    kept_hash: str | None = None


Listener = Callable[[ReloadResult], None]


class PolicyHolder:
    """Holds the policy in force for one process; thread-safe to read, reloaded on demand.

    ``path`` is the user's policy file; when it does not exist the built-in default is used.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._current: LoadedPolicy | None = None
        self._listeners: list[Listener] = []
        self.last: ReloadResult | None = None

    @classmethod
    def fixed(cls, policy: LoadedPolicy | None) -> PolicyHolder:
        """A holder of ``policy`` and no file (never reloaded): a re-drive's chosen policy."""
        holder = cls(None)
        holder._current = policy
        return holder

    @property
    def current(self) -> LoadedPolicy | None:
        """The policy in force, or None when no valid policy has ever loaded (deny all)."""
        return self._current

    def on_change(self, listener: Listener) -> None:
        """Be told of every load attempt, successful or not (to record it as an event)."""
        self._listeners.append(listener)

    def load(self) -> ReloadResult:
        """Load the policy file (or the default when there is none) and swap it in if valid."""
        result = self._attempt()
        self.last = result
        for listener in list(self._listeners):
            listener(result)
        return result

    def _attempt(self) -> ReloadResult:
        path = self.path
        kept = self._current.sha256 if self._current is not None else None
        if path is None or not path.exists():
            if path is not None and self._current is not None and self._current.source == path:
                # The user's file vanished (a delete, or the middle of a save): keep what we
                # have rather than silently falling back to a different policy.
                message = f"{path}: the policy file is gone; keeping the last good policy"
                return ReloadResult(
                    ok=False, path=str(path), policy_hash=None, errors=(message,), kept_hash=kept
                )
            policy = default_policy()
            self._current = policy
            return ReloadResult(
                ok=True, path=None, policy_hash=policy.sha256, rules=len(policy.rules)
            )
        try:
            policy = _load_stable(path)
        except PolicyError as exc:
            errors = tuple(str(exc).splitlines()) or (f"{path}: invalid policy",)
            log.warning("policy rejected: %s", "; ".join(errors))
            return ReloadResult(
                ok=False, path=str(path), policy_hash=None, errors=errors, kept_hash=kept
            )
        self._current = policy  # the one and only swap: atomic for readers
        return ReloadResult(
            ok=True, path=str(path), policy_hash=policy.sha256, rules=len(policy.rules)
        )


def _load_stable(path: Path, attempts: int = 3) -> LoadedPolicy:
    """Load ``path``, retrying if it changed while being read (an editor still writing it)."""
    for _ in range(attempts):
        before = _signature(path)
        policy = load_policy_file(path)
        if _signature(path) == before:
            return policy
    return load_policy_file(path)


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns
