"""The AuthAgent's gate: every tool call is decided, recorded, and — for "ask" — put to a human.

Each decision becomes a ``policy.decided`` event carrying the decision, the rule, the policy file
and its hash, the source (rule / default / ceiling / analysis / human / timeout / cancel), who
decided when a human did, and how long it took. A denial raises an escalation; the optional
``on_violation`` command receives that escalation as JSON on stdin.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import orjson

from agents.approvals.broker import ApprovalBroker, Resolution
from agents.auth.ceiling import Ceiling
from agents.auth.egress import KnownSecret, SecretFacts
from agents.auth.engine import decide
from agents.auth.holder import PolicyHolder
from agents.auth.requests import Decision, PartVerdict, ToolRequest, Verdict
from sessions.schema.flow import EscalationRaised
from sessions.schema.policy import DecisionSource, PolicyDecided, Risk
from sessions.schema.tools import ToolCallRequested
from sessions.store.event_store import EventStore

log = logging.getLogger(__name__)

NO_POLICY_HASH = "0" * 64
"""The hash recorded when no valid policy is loaded (every call is denied)."""

RISK: dict[Decision, Risk] = {Decision.ALLOW: "low", Decision.ASK: "medium", Decision.DENY: "high"}


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCall:
    """One tool call an agent wants to make, with who asked and the ceiling it inherited."""

    session_id: str
    agent_id: str
    call_id: str
    request: ToolRequest
    summary: str
    ceiling: Ceiling | None = None
    diff: str | None = None
    secret_vars: frozenset[str] = frozenset()
    """The environment variables the team file granted this agent (they hold secrets)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Authorization:
    """The gate's final answer: may the call run, and why."""

    allowed: bool
    decision: Decision
    verdict: Verdict
    resolution: Resolution | None = None

    @property
    def reason(self) -> str:
        """One sentence for the agent and the timeline."""
        if self.resolution is not None:
            return f"{self.resolution.outcome.value}: {self.resolution.reason}".rstrip(": ")
        return self.verdict.reason


AllowedHook = Callable[[ToolCall], Awaitable[None]]
"""Awaited after a call is allowed and before it runs (the checkpoint); must not raise."""


class AuthGate:
    """Decides tool calls under the policy in ``holder``; asks ``broker`` for the "ask"s.

    ``known_secret`` finds a stored secret's value (or an encoding of it) in a command, so a
    command that would send it over the network is asked, never allowed.
    """

    def __init__(
        self,
        holder: PolicyHolder,
        store: EventStore,
        broker: ApprovalBroker,
        *,
        protected: tuple[Path, ...] = (),
        home: Path | None = None,
        known_secret: KnownSecret | None = None,
        on_allowed: AllowedHook | None = None,
        run_on_violation: bool = True,
    ) -> None:
        self._holder = holder
        self._run_on_violation = run_on_violation
        self._on_allowed = on_allowed
        self._store = store
        self._broker = broker
        self._protected = protected
        self._home = home
        self._known_secret = known_secret

    def verdict(self, call: ToolCall) -> Verdict:
        """The policy's verdict alone (no events, no asking): what ``policy decide`` prints."""
        policy = self._holder.current  # read once: a reload between calls, never during one
        if policy is None:
            reason = "no valid policy is loaded; every tool call is denied until one loads"
            part = PartVerdict(
                decision=Decision.DENY,
                rule_id=None,
                reason=reason,
                subject=call.summary,
                source="analysis",
            )
            return Verdict(
                decision=Decision.DENY,
                rule_id=None,
                reason=reason,
                policy_hash=NO_POLICY_HASH,
                source="analysis",
                parts=(part,),
            )
        secrets = SecretFacts(call.secret_vars, self._known_secret)
        return decide(
            policy,
            call.request,
            ceiling=call.ceiling,
            protected=self._protected,
            home=self._home,
            secrets=secrets,
        )

    async def authorize(self, call: ToolCall) -> Authorization:
        """Decide ``call``, record the decision, ask a human if needed, escalate denials."""
        started = time.perf_counter()
        request = call.request
        # The exact request decided, under the decision's call id: what `policy diff` replays.
        self._store.append(
            call.session_id,
            call.agent_id,
            ToolCallRequested(
                agent_id=call.agent_id,
                call_id=call.call_id,
                tool=request.tool.value,
                title=call.summary,
                command=request.command,
                paths=list(request.paths),
                cwd=str(request.cwd) if request.cwd else None,
                role=request.role,
            ),
        )
        verdict = self.verdict(call)
        policy = self._holder.current
        policy_path = str(policy.source) if policy is not None and policy.source else None
        await self._record(
            call,
            verdict.decision,
            verdict,
            policy_path=policy_path,
            source=verdict.source,
            resolution=None,
            since=started,
        )
        if verdict.decision is Decision.ALLOW:
            await self._allowed(call)
            return Authorization(allowed=True, decision=Decision.ALLOW, verdict=verdict)
        if verdict.decision is Decision.DENY:
            await self._escalate(call, verdict)
            return Authorization(allowed=False, decision=Decision.DENY, verdict=verdict)
        asked = time.perf_counter()
        resolution = await self._broker.request(
            session_id=call.session_id,
            agent_id=call.agent_id,
            call_id=call.call_id,
            request=call.request,
            summary=call.summary,
            risk=RISK[verdict.decision],
            rule_id=verdict.rule_id,
            reason=verdict.reason,
            diff=call.diff,
        )
        final = Decision.ALLOW if resolution.outcome.approved else Decision.DENY
        await self._record(
            call,
            final,
            verdict,
            policy_path=policy_path,
            source=resolution.outcome.source,
            resolution=resolution,
            since=asked,
        )
        if final is Decision.ALLOW:
            await self._allowed(call)
        return Authorization(
            allowed=final is Decision.ALLOW, decision=final, verdict=verdict, resolution=resolution
        )

    async def _allowed(self, call: ToolCall) -> None:
        if self._on_allowed is not None:
            await self._on_allowed(call)

    async def _record(
        self,
        call: ToolCall,
        decision: Decision,
        verdict: Verdict,
        *,
        policy_path: str | None,
        source: DecisionSource,
        resolution: Resolution | None,
        since: float,
    ) -> None:
        reason = verdict.reason if resolution is None else resolution.reason or verdict.reason
        await self._store.append_durable(
            call.session_id,
            "auth"
            if resolution is None or resolution.decided_by is None
            else f"human:{resolution.decided_by}",
            PolicyDecided(
                call_id=call.call_id,
                decision=decision.value,
                rule_id=verdict.rule_id,
                reason=reason,
                policy_path=policy_path,
                policy_hash=verdict.policy_hash,
                source=source,
                decided_by=None if resolution is None else resolution.decided_by,
                elapsed_ms=round((time.perf_counter() - since) * 1000, 3),
            ),
        )

    async def _escalate(self, call: ToolCall, verdict: Verdict) -> None:
        escalation = EscalationRaised(
            reason=f"policy violation: {call.summary} — {verdict.reason}",
            severity="warning",
            call_id=call.call_id,
            rule_id=verdict.rule_id,
            agent_id=call.agent_id,
        )
        record = await self._store.append_durable(call.session_id, "auth", escalation)
        policy = self._holder.current
        command = policy.policy.settings.on_violation if policy is not None else None
        if command and self._run_on_violation:  # a re-drive runs no command, not even this
            await run_on_violation(command, record.to_dict())


async def run_on_violation(
    command: str, event: dict[str, object], *, timeout_s: float = 10.0
) -> None:
    """Pipe the escalation event as JSON to the user's ``on_violation`` command.

    A failing hook is logged, never fatal: the denial already stands.
    """
    try:
        proc = await asyncio.create_subprocess_exec(
            *shlex.split(command),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
    except (OSError, ValueError) as exc:
        log.warning("on_violation command %r could not start: %s", command, exc)
        return
    try:
        _out, err = await asyncio.wait_for(proc.communicate(orjson.dumps(event) + b"\n"), timeout_s)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        log.warning("on_violation command %r took over %gs and was killed", command, timeout_s)
        return
    if proc.returncode:
        log.warning("on_violation command %r exited %s: %s", command, proc.returncode, err[-500:])
