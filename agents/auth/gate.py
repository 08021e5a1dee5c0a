"""The AuthAgent's gate: every tool call is decided, recorded, and — for "ask" — put to a human.

Each decision becomes a ``policy.decided`` event carrying the decision, the rule, the policy file
and its hash, the source (rule / default / ceiling / analysis / human / timeout / cancel /
permission), who decided when a human did, and how long it took. An execution that carries out
a permission request already decided (``ToolCall.rides_on``) is not asked again: its
``policy.decided`` names that request (``rides_on``) and its approval, and a deny at execution
still wins. A denial raises an escalation; the optional ``on_violation`` command receives that
escalation as JSON on stdin.

``ToolCall``, ``Precedent`` and ``Authorization`` (:mod:`agents.auth.calls`) are re-exported.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from agents.approvals.broker import ApprovalBroker, Resolution
from agents.auth.calls import Authorization, Precedent, ToolCall
from agents.auth.egress import KnownSecret, SecretFacts
from agents.auth.engine import decide
from agents.auth.holder import PolicyHolder
from agents.auth.requests import Decision, PartVerdict, Verdict
from agents.auth.violation import run_on_violation
from sessions.schema.flow import EscalationRaised
from sessions.schema.policy import DecisionSource, PolicyDecided, Risk
from sessions.schema.tools import ToolCallRequested
from sessions.store.event_store import EventStore

NO_POLICY_HASH = "0" * 64
"""The hash recorded when no valid policy is loaded (every call is denied)."""

RISK: dict[Decision, Risk] = {Decision.ALLOW: "low", Decision.ASK: "medium", Decision.DENY: "high"}

__all__ = ["NO_POLICY_HASH", "RISK", "AuthGate", "Authorization", "Precedent", "ToolCall"]


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
                raw_input=call.raw_input,
            ),
        )
        verdict = self.verdict(call)
        policy = self._holder.current
        policy_path = str(policy.source) if policy is not None and policy.source else None
        if call.rides_on is not None and verdict.decision is not Decision.DENY:
            # A deny at execution wins over an approved permission (the policy may have changed,
            # the content may now hold a secret); anything else rides on that decision.
            return await self._ride(call, verdict, policy_path=policy_path, since=started)
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

    async def _ride(
        self, call: ToolCall, verdict: Verdict, *, policy_path: str | None, since: float
    ) -> Authorization:
        """Decide an execution by the permission decision it carries out: never asked again.

        An allowed verdict is recorded as it is; an "ask" is recorded, then answered by the
        permission's approval; a refused permission refuses the execution after its verdict (the
        agent tried it anyway, which is escalated).
        """
        precedent = call.rides_on
        assert precedent is not None
        # The policy's own verdict stays in the log (`policy diff` reads it); the durable answer
        # below commits after it.
        if verdict.decision is not Decision.ALLOW or not precedent.allowed:
            self._store.append(
                call.session_id,
                "auth",
                self._decided(
                    call,
                    verdict.decision,
                    verdict,
                    policy_path=policy_path,
                    source=verdict.source,
                    rides_on=precedent,
                ),
            )
        if not precedent.allowed:
            why = f"refused at its permission request {precedent.call_id}"
            why = f"{why}: {precedent.reason}" if precedent.reason else why
            await self._record(
                call,
                Decision.DENY,
                replace(verdict, rule_id=None),  # no rule refused it: the permission did
                policy_path=policy_path,
                source="permission",
                resolution=None,
                since=since,
                reason=why,
                rides_on=precedent,
            )
            await self._escalate(call, verdict, reason=f"tried anyway: {why}")
            return Authorization(
                allowed=False, decision=Decision.DENY, verdict=verdict, precedent=precedent
            )
        answered = verdict.decision is Decision.ASK  # else the policy allowed it on its own
        await self._record(
            call,
            Decision.ALLOW,
            verdict,
            policy_path=policy_path,
            source="permission" if answered else verdict.source,
            resolution=None,
            since=since,
            reason=f"allowed at its permission request {precedent.call_id}" if answered else None,
            rides_on=precedent,
        )
        await self._allowed(call)
        return Authorization(
            allowed=True, decision=Decision.ALLOW, verdict=verdict, precedent=precedent
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
        reason: str | None = None,
        rides_on: Precedent | None = None,
    ) -> None:
        decided_by = None if resolution is None else resolution.decided_by
        if reason is None:
            reason = verdict.reason if resolution is None else resolution.reason or verdict.reason
        actor = "auth" if decided_by is None else f"human:{decided_by}"
        decided = self._decided(
            call,
            decision,
            verdict,
            policy_path=policy_path,
            source=source,
            reason=reason,
            decided_by=decided_by,
            elapsed_ms=round((time.perf_counter() - since) * 1000, 3),
            rides_on=rides_on,
        )
        if decision is Decision.ALLOW and decided_by is None:
            # The policy's own "yes" waits for no fsync: a write or command commits its durable
            # tool.intent right behind it (one commit for both, in order), and a read changes
            # nothing that a lost record would hide.
            self._store.append(call.session_id, actor, decided)
        else:  # a human's answer, or a refusal: committed before anyone acts on it
            await self._store.append_durable(call.session_id, actor, decided)

    @staticmethod
    def _decided(
        call: ToolCall,
        decision: Decision,
        verdict: Verdict,
        *,
        policy_path: str | None,
        source: DecisionSource,
        reason: str | None = None,
        decided_by: str | None = None,
        elapsed_ms: float = 0.0,
        rides_on: Precedent | None = None,
    ) -> PolicyDecided:
        return PolicyDecided(
            call_id=call.call_id,
            decision=decision.value,
            rule_id=verdict.rule_id,
            reason=verdict.reason if reason is None else reason,
            policy_path=policy_path,
            policy_hash=verdict.policy_hash,
            source=source,
            decided_by=decided_by,
            elapsed_ms=elapsed_ms,
            rides_on=None if rides_on is None else rides_on.call_id,
            approval_id=None if rides_on is None else rides_on.approval_id,
        )

    async def _escalate(
        self, call: ToolCall, verdict: Verdict, *, reason: str | None = None
    ) -> None:
        escalation = EscalationRaised(
            reason=f"policy violation: {call.summary} — {reason or verdict.reason}",
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
