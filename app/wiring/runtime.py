"""The running system for one process: store, policy holder and watcher, gate, broker, orchestrator."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from agents.approvals.autoanswer import answer_automatically
from agents.approvals.broker import ApprovalBroker
from agents.approvals.on_ask import OnAsk
from agents.auth.gate import AuthGate
from agents.auth.holder import PolicyHolder, ReloadResult
from agents.auth.loader import default_policy
from agents.auth.watch import record_policy_changes, watch_policy
from agents.backends.stderr_log import LogLimits
from agents.background import Background
from agents.checkpoints.recorder import Checkpoints
from agents.orchestrator.core import Orchestrator
from agents.sandbox.host import SandboxHost
from agents.sandbox.plan import secret_globs
from agents.secrets.keyring_store import SecretStore, SecretsUnavailableError
from app.paths import checkpoints_dir, data_dir
from app.settings import load_settings
from app.wiring.logs import log_to_file
from app.wiring.store import open_store, policy_file, policy_redactor, protected_dirs
from sessions.store.event_store import EventStore


@dataclass(kw_only=True)
class Runtime:
    """Everything a console or a headless run needs, wired once."""

    store: EventStore
    holder: PolicyHolder
    broker: ApprovalBroker
    gate: AuthGate
    orchestrator: Orchestrator
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    workers: Background = field(default_factory=lambda: Background("runtime"))
    answers: Background | None = None
    """The automatic answers of :meth:`answer_asks`, if asked for."""

    def start_workers(self) -> None:
        """Hot reload of the policy and answers from other terminals, as background workers."""
        self.workers.spawn(watch_policy(self.holder, stop=self.stop), name="policy-watch")
        self.workers.spawn(self.broker.follow_external(self.stop), name="external-answers")

    def answer_asks(self, mode: OnAsk) -> None:
        """Answer every "ask" as ``mode`` says (``--on-ask``) until :meth:`close`."""
        self.answers = answer_automatically(self.broker, mode)

    async def close(self) -> None:
        """Stop answering, cancel sessions (stopping every agent), stop the workers, close the
        store."""
        if self.answers is not None:
            await self.answers.close()
        await self.orchestrator.shutdown()
        self.stop.set()
        await self.workers.close(cancel=False)  # they end on their own once told to stop
        self.store.close()


def _keyring_values() -> list[tuple[str, str]]:
    """Every stored secret, to be masked in the log; none when no usable keyring exists (then
    no secret can reach an agent either)."""
    index = data_dir() / "secrets.json"
    if not index.exists():  # none stored: no keyring backend to load (7 MB of D-Bus and AES)
        return []
    try:
        return list(SecretStore(index).known_values().items())
    except SecretsUnavailableError:
        return []


def sandbox_host(holder: PolicyHolder) -> SandboxHost:
    """The sandbox of this process: hides the secret paths of the policy in force (the
    built-in default's while none is) and Quarterdeck's own directories."""

    def globs() -> tuple[str, ...]:
        policy = holder.current
        return secret_globs(policy if policy is not None else default_policy())

    return SandboxHost(
        secret_globs=globs, protected=protected_dirs(), scratch=data_dir() / "sandbox"
    )


def build_runtime(db: str, *, policy: Path | None = None) -> tuple[Runtime, ReloadResult]:
    """Wire the system for ``db``; the policy result tells whether a valid policy loaded."""
    settings = load_settings()
    redactor = policy_redactor(_keyring_values(), policy=policy)
    log_to_file(data_dir() / "logs", redactor)
    store = open_store(db, redactor=redactor)
    holder = PolicyHolder(policy or policy_file())
    record_policy_changes(holder, store)
    result = holder.load()
    current = holder.current
    timeout = current.policy.settings.approval_timeout_s if current is not None else 300.0
    broker = ApprovalBroker(store, policy_path=holder.path, timeout_s=timeout)
    checkpoints = Checkpoints(store, checkpoints_dir(), scan=redactor.find_credential)
    gate = AuthGate(
        holder,
        store,
        broker,
        protected=protected_dirs(),
        known_secret=redactor.find_secret,
        on_allowed=checkpoints.before_call,
    )
    orchestrator = Orchestrator(
        store,
        gate,
        broker,
        log_dir=data_dir() / "logs",
        log_limits=LogLimits(
            max_bytes=settings.logs.agent_stderr_max_bytes,
            backups=settings.logs.agent_stderr_backups,
        ),
        secrets=lambda: SecretStore(data_dir() / "secrets.json"),
        checkpoints=checkpoints,
        sandbox=sandbox_host(holder),
    )
    return Runtime(
        store=store, holder=holder, broker=broker, gate=gate, orchestrator=orchestrator
    ), result
