"""The sandbox of one Quarterdeck process: probes bubblewrap once and confines each agent.

:meth:`SandboxHost.confine` turns a role's ``[sandbox]`` settings into a :class:`Confinement`:
how to wrap the agent's command (and every command run for it), what ``agent.started`` records,
and — never silently — a warning when ``auto`` finds no working bubblewrap, or an error when
the team file asked for ``bwrap`` and cannot have it.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agents.sandbox.argv import Mounts, bwrap_argv
from agents.sandbox.plan import known_state, linked_repository, plan_mounts
from agents.sandbox.probe import Probe, probe_bwrap
from agents.team import SandboxSettings
from sessions.errors import QuarterdeckError
from sessions.schema.agent import SandboxInfo


class SandboxError(QuarterdeckError):
    """A confinement the team file demands cannot be had; the message says which and why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Confinement:
    """How one agent (or the validator's checks) runs: under bubblewrap or not, and why."""

    kind: Literal["bwrap", "none"]
    network: Literal["on", "off"] = "on"
    bwrap: str | None = None
    mounts: Mounts | None = None
    warning: str | None = None
    """Set when the agent runs unconfined although the team wanted a sandbox where possible."""
    error: str | None = None
    """Set when the team file asked for bubblewrap and it cannot be had: do not start."""
    reason: str = ""

    def wrap(self, argv: Sequence[str], cwd: Path) -> list[str]:
        """``argv`` as it must be executed in ``cwd`` (unchanged when unconfined)."""
        if self.bwrap is None or self.mounts is None:
            return list(argv)
        return bwrap_argv(self.bwrap, self.mounts, cwd=cwd, argv=argv)

    def info(self) -> SandboxInfo:
        """What ``agent.started`` records."""
        mounts = self.mounts
        if self.kind == "none" or mounts is None:
            return SandboxInfo(kind="none", network="on", reason=self.reason)
        writable = [str(mounts.workspace), *(str(p) for p in mounts.writable)]
        hidden = [str(p) for p in (*mounts.hidden_dirs, *mounts.hidden_files)]
        return SandboxInfo(
            kind="bwrap", network=self.network, writable=writable, hidden=hidden, reason=self.reason
        )


RUNTIME: tuple[Path, ...] = (
    Path(sys.prefix),
    Path(sys.base_prefix),
    Path(__file__).resolve().parents[2],
)
"""The interpreter and the code Quarterdeck runs its own agents (and the checks' ``{python}``)
with: readable in every sandbox, even when installed under /tmp."""


def session_bus_dirs() -> tuple[Path, ...]:
    """The user's runtime directory: D-Bus, keyring and agent sockets live there, and through
    them an unlocked Secret Service would hand out secrets."""
    found = {Path(f"/run/user/{os.getuid()}")}
    if runtime := os.environ.get("XDG_RUNTIME_DIR"):
        found.add(Path(runtime))
    return tuple(sorted(found))


UNCONFINED = Confinement(kind="none", reason="no sandbox configured")
"""For callers that run nothing through a :class:`SandboxHost` (tests, re-drives)."""


class SandboxHost:
    """Confines agents for one process.

    ``secret_globs`` is read at each confinement (the policy in force: a reload applies to the
    next agent); ``protected`` are Quarterdeck's own directories; ``scratch`` holds the empty
    file bound over hidden files.
    """

    def __init__(
        self,
        *,
        secret_globs: Callable[[], Sequence[str]],
        protected: Sequence[Path] = (),
        scratch: Path,
        probe: Callable[[], Probe] = probe_bwrap,
    ) -> None:
        self._globs = secret_globs
        self._protected = tuple(protected)
        self._scratch = scratch
        self._probe_fn = probe
        self._probe: Probe | None = None
        self._lock = asyncio.Lock()

    @property
    def probe(self) -> Probe:
        """What bubblewrap's probe found (it runs now if :meth:`ready` has not run it)."""
        if self._probe is None:
            self._probe = self._probe_fn()
        return self._probe

    async def ready(self) -> Probe:
        """Probe bubblewrap once, off the event loop."""
        async with self._lock:
            if self._probe is None:
                self._probe = await asyncio.to_thread(self._probe_fn)
        return self._probe

    def confine(
        self,
        settings: SandboxSettings,
        *,
        workspace: Path,
        env: Mapping[str, str],
        argv: Sequence[str] = (),
    ) -> Confinement:
        """The confinement of one agent (``argv``: its command line) or of the checks (())."""
        if settings.kind == "none":
            return Confinement(kind="none", reason='sandbox = "none" in the team file')
        probe = self.probe
        network: Literal["on", "off"] = settings.network
        problem = probe.reason if not probe.available else None
        if problem is None and network == "off" and not probe.network_isolation:
            problem = 'network = "off" but bubblewrap cannot unshare the network here'
        if problem is not None:
            if settings.kind == "bwrap":
                return Confinement(kind="none", error=f'sandbox = "bwrap": {problem}')
            warning = f"runs WITHOUT a sandbox: {problem}; its own tools are not held"
            return Confinement(kind="none", warning=warning, reason=problem)
        assert probe.path is not None
        user_home = Path.home()
        agent_home = Path(env.get("HOME") or user_home)
        state = [*(known_state(argv[0]) if argv else ()), *_as_dirs(settings.state_dirs)]
        named = [Path(a) for a in argv if a.startswith("/")]
        repository = linked_repository(workspace)  # a worktree's history: read, never written
        named += [repository] if repository is not None else []
        plan = plan_mounts(
            workspace=workspace,
            globs=self._globs(),
            protected=(*self._protected, *session_bus_dirs()),
            homes=(user_home, agent_home),
            agent_home=agent_home,
            state_dirs=state,
            network=network == "on",
            empty_file=self._empty_file(),
            keep=(*named, *RUNTIME),
        )
        reason = ""
        if plan.refused:
            refused = ", ".join(str(p) for p in plan.refused)
            reason = f"state dirs not writable because the policy hides them: {refused}"
        return Confinement(
            kind="bwrap", network=network, bwrap=probe.path, mounts=plan.mounts, reason=reason
        )

    def _empty_file(self) -> Path:
        path = self._scratch / "empty"
        if not path.is_file() or path.stat().st_size:
            self._scratch.mkdir(parents=True, exist_ok=True)
            path.unlink(missing_ok=True)
            path.write_bytes(b"")
            os.chmod(path, 0o444)
        return path


def _as_dirs(entries: Sequence[str]) -> list[str]:
    """The team file's ``state_dirs`` name directories, created when missing (an existing file
    named there is bound as it is)."""
    return [e if e.endswith("/") else f"{e}/" for e in entries]
