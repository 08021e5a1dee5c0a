"""The decision: one request in, one verdict out, strictest part wins.

For each part (see `parts`) the candidates are: the strictest rule that applies (no rule means
ask), the analysis floors (unparsed shell, concerns, secrets sent over the network, dangerous
options, wrappers, `VAR=` prefixes, run-time values), the role's effective ceiling (outside it
is deny), protected paths (ask to read, deny to write) and workspace confinement (outside the
workspace: ask to read, deny to write, unless a rule that names paths decided the part). The
request is allowed only when every part is, and `decide` never raises: an internal error is a
deny.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from agents.auth.ceiling import Ceiling
from agents.auth.compiled import LoadedPolicy, Part
from agents.auth.egress import NO_SECRETS, SecretFacts
from agents.auth.matchers import any_glob_matches
from agents.auth.parts import Context, request_parts
from agents.auth.paths import is_within, resolve
from agents.auth.requests import Decision, PartVerdict, ToolRequest, Verdict
from sessions.schema.policy import PolicySource

#: Always protected, whatever the policy says (the policy file and the caller's dirs are added).
BUILTIN_PROTECTED = ("{workspace}/.git/hooks/**", "{workspace}/.git/config", "~/.gitconfig")
#: Which source explains a decision best when several reach the same strictness.
_SOURCE_PRIORITY: dict[PolicySource, int] = {"rule": 3, "analysis": 2, "ceiling": 1, "default": 0}


class _Candidate(NamedTuple):
    """One way a part could be decided; the strictest (then best explained) wins."""

    decision: Decision
    rule_id: str | None
    reason: str
    source: PolicySource

    @property
    def weight(self) -> tuple[int, int]:
        """Strictness first, then how well the source explains it."""
        return self.decision.rank, _SOURCE_PRIORITY[self.source]


def effective_ceiling(
    policy: LoadedPolicy, role: str, delegator: Ceiling | None = None
) -> Ceiling | None:
    """The role's profile narrowed by its delegator's ceiling; None when the role is unknown."""
    own = policy.ceilings.get(role)
    if own is None or delegator is None:
        return own
    return own.intersect(delegator)


def decide(
    policy: LoadedPolicy,
    request: ToolRequest,
    *,
    ceiling: Ceiling | None = None,
    protected: tuple[Path, ...] = (),
    home: Path | None = None,
    secrets: SecretFacts = NO_SECRETS,
) -> Verdict:
    """Decide `request` under `policy`, for a role whose delegator's ceiling is `ceiling`.

    `protected` are Quarterdeck's own config and data directories; `home` overrides `~`;
    `secrets` says which variables the role was granted and finds known secret values (for the
    egress floor). Never raises: any internal error is a DENY whose reason carries the error.
    """
    try:
        return _decide(policy, request, ceiling, protected=protected, home=home, secrets=secrets)
    except Exception as exc:  # fail closed: a bug in the gate must not open it
        reason = f"internal error while deciding ({type(exc).__name__}: {exc}); denied"
        part = PartVerdict(
            decision=Decision.DENY,
            rule_id=None,
            reason=reason,
            subject=str(request.command or request.tool),
        )
        return Verdict(
            decision=Decision.DENY,
            rule_id=None,
            reason=reason,
            policy_hash=policy.sha256,
            source="analysis",
            parts=(part,),
        )


def _decide(
    policy: LoadedPolicy,
    request: ToolRequest,
    delegator: Ceiling | None,
    *,
    protected: tuple[Path, ...],
    home: Path | None,
    secrets: SecretFacts,
) -> Verdict:
    effective = effective_ceiling(policy, request.role, delegator)
    if effective is None:
        reason = f"role '{request.role}' has no profile in the policy"
        part = PartVerdict(
            decision=Decision.DENY,
            rule_id=None,
            reason=reason,
            subject=request.role,
            source="ceiling",
        )
        return _verdict(policy, [part])
    ctx = Context.of(request, home, secrets)
    judge = _Judge(
        policy=policy,
        role=request.role,
        ceiling=effective,
        ctx=ctx,
        protected=_protected_paths(policy, protected, ctx),
    )
    return _verdict(policy, [judge.part(p) for p in request_parts(request, ctx)])


def _protected_paths(policy: LoadedPolicy, extra: Iterable[Path], ctx: Context) -> tuple[Path, ...]:
    paths = [*extra, *((policy.source,) if policy.source is not None else ())]
    return tuple(resolve(str(p), cwd=ctx.workspace, home=ctx.home) for p in paths)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Judge:
    """Decides parts of one request."""

    policy: LoadedPolicy
    role: str
    ceiling: Ceiling
    ctx: Context
    protected: tuple[Path, ...]

    def part(self, part: Part) -> PartVerdict:
        """The strictest of every candidate decision for `part`."""
        ws, home = str(self.ctx.workspace), str(self.ctx.home)
        matched = [
            r
            for r in self.policy.candidates(part)
            if r.applies(part, self.role, workspace=ws, home=home)
        ]
        best: _Candidate
        if matched:
            rule = max(matched, key=lambda r: (r.decision.rank, -r.index))
            best = _Candidate(rule.decision, rule.id, rule.reason or f"rule '{rule.id}'", "rule")
        else:
            best = _Candidate(Decision.ASK, None, "no rule covers this", "default")
        candidates = [_Candidate(d, None, r, "analysis") for d, r in part.floors]
        candidates += [
            _Candidate(Decision.DENY, None, r, "ceiling") for r in self._outside_ceiling(part)
        ]
        if part.path is not None:
            candidates += self._path_guards(part, granted=any(r.paths for r in matched))
        for candidate in candidates:
            if candidate.weight > best.weight:
                best = candidate
        return PartVerdict(
            decision=best.decision,
            rule_id=best.rule_id,
            reason=best.reason,
            subject=part.subject,
            source=best.source,
        )

    def _outside_ceiling(self, part: Part) -> Iterable[str]:
        ceiling, role = self.ceiling, self.role
        missing = sorted(part.tools - ceiling.tools)
        if missing:
            yield f"role '{role}' may not use the {', '.join(missing)} tool"
        if part.path is None and part.tokens and not ceiling.allows_command(part.tokens):
            yield f"role '{role}' may not run '{part.tokens[0]}' this way"
        ws, home = str(self.ctx.workspace), str(self.ctx.home)
        if part.path is not None and not ceiling.allows_path(part.path, workspace=ws, home=home):
            yield f"'{part.path}' is outside the paths role '{role}' may touch"

    def _path_guards(self, part: Part, *, granted: bool) -> list[_Candidate]:
        assert part.path is not None
        path = Path(part.path)
        on_write = Decision.DENY if part.write else Decision.ASK
        verb = "writes" if part.write else "reads"
        guards: list[_Candidate] = []
        ws, home = str(self.ctx.workspace), str(self.ctx.home)
        globs = (*BUILTIN_PROTECTED, *self.policy.protected_globs)
        if any_glob_matches(globs, part.path, workspace=ws, home=home) or any(
            is_within(path, p) for p in self.protected
        ):
            guards.append(_Candidate(on_write, None, f"{verb} a protected path", "analysis"))
        if not granted and not is_within(path, self.ctx.workspace):
            guards.append(_Candidate(on_write, None, f"{verb} outside the workspace", "ceiling"))
        return guards


def _verdict(policy: LoadedPolicy, parts: list[PartVerdict]) -> Verdict:
    if not parts:
        parts = [
            PartVerdict(
                decision=Decision.ASK,
                rule_id=None,
                reason="nothing to decide",
                subject="(empty)",
                source="default",
            )
        ]
    worst = max(parts, key=lambda p: p.decision.rank)  # max keeps the first of equals
    reason = f"{worst.subject}: {worst.reason}"
    if worst.rule_id is not None and worst.rule_id not in worst.reason:
        reason += f" (rule '{worst.rule_id}')"
    return Verdict(
        decision=worst.decision,
        rule_id=worst.rule_id,
        reason=reason,
        policy_hash=policy.sha256,
        source=worst.source,
        parts=tuple(parts),
    )
