"""The one way an "always" or "never" answer becomes a standing grant, whichever path it took.

An answer given in this console goes through the broker, which holds the waiting request; one
given from another terminal goes through the supervisor, which writes to the shared database.
Both end here, so both get the same guarantee: the rule is narrowed to the request, and it is
written only after checking that, in the whole new policy, it really decides the request it was
made for — an explicit "ask" or "deny" rule that outranks it would leave a grant that does
nothing while the user believes the question is settled.
"""

from __future__ import annotations

from pathlib import Path

from agents.auth.grants import GrantError, add_grant, narrowed_rule
from agents.auth.requests import Decision, ToolRequest


def grant_id(approval_id: str) -> str:
    """The id of the rule a standing answer to ``approval_id`` adds (shown, listed, revoked)."""
    return f"grant-{approval_id}"


def proposed_rule(approval_id: str, request: ToolRequest, decision: Decision) -> str:
    """The TOML of the rule a standing answer would add; ``GrantError`` when none is safe."""
    return narrowed_rule(request, decision, rule_id=grant_id(approval_id))


def write_standing_grant(
    policy_path: Path | None,
    *,
    approval_id: str,
    decision: Decision,
    request: ToolRequest,
    session_id: str,
    subject: str,
) -> str:
    """Add the narrowed rule for a standing answer to the policy file; returns its id.

    Raises ``GrantError`` (and writes nothing) when no policy file is configured, when no
    narrow rule is safe for ``request``, or when the new rule would not decide ``request``.
    """
    if policy_path is None:
        raise GrantError("no policy file is configured, so nothing can be granted always")
    rule_id = grant_id(approval_id)
    rule = proposed_rule(approval_id, request, decision)
    add_grant(
        policy_path,
        rule,
        rule_id=rule_id,
        session_id=session_id,
        role=request.role,
        subject=subject,
        request=request,
    )
    return rule_id
