"""Telling a missing login from other errors, and the one line that says how to fix it."""

from __future__ import annotations

from pathlib import Path

from acp import RequestError
from acp.schema import AuthEnvVar, AuthMethodAgent, EnvVarAuthMethod

from agents.backends.login import AuthOffer, is_login_error, login_reason, offers_of


def test_auth_required_is_known_by_its_code_or_its_words() -> None:
    assert is_login_error(RequestError.auth_required())
    assert is_login_error(RequestError(-32603, "Not logged in. Please run /login"))
    assert is_login_error(RequestError(-32603, "failed", {"reason": "unauthenticated"}))
    assert not is_login_error(RequestError(-32603, "Cannot connect to API"))
    assert not is_login_error(RequestError.invalid_params({"path": "relative"}))


def test_the_offered_methods_keep_their_names_and_variables() -> None:
    offers = offers_of(
        [
            AuthMethodAgent(id="oauth", name="Log in with Google", description="in a browser"),
            EnvVarAuthMethod(
                type="env_var", id="key", name="API key", vars=[AuthEnvVar(name="GEMINI_API_KEY")]
            ),
        ]
    )
    assert offers == [
        AuthOffer("oauth", "Log in with Google", "in a browser"),
        AuthOffer("key", "API key", "", ("GEMINI_API_KEY",)),
    ]
    assert offers[1].describe() == "key (API key; set GEMINI_API_KEY)"


def test_the_reason_names_the_agent_the_step_the_way_and_the_log() -> None:
    reason = login_reason(
        agent_id="implementer-1",
        command="/opt/bin/gemini",
        step="session/new",
        detail="Authentication required",
        offers=[AuthOffer("oauth", "Log in with Google")],
        hint=None,
        log_path=Path("/data/logs/s.implementer-1.stderr.log"),
    )
    assert reason.startswith("agent implementer-1 (gemini) needs a login: it answered session/new")
    assert "oauth (Log in with Google)" in reason and 'auth_method = "<id>"' in reason
    assert reason.endswith("Agent log: /data/logs/s.implementer-1.stderr.log")
    assert "\n" not in reason


def test_an_agent_that_offers_nothing_is_logged_in_with_its_own_cli_or_the_hint() -> None:
    bare = login_reason(
        agent_id="a",
        command="claude-agent-acp",
        step="session/prompt",
        detail="x",
        offers=[],
        hint=None,
    )
    assert "offers no login method" in bare and "login_hint" in bare
    hinted = login_reason(
        agent_id="a",
        command="claude-agent-acp",
        step="session/prompt",
        detail="x",
        offers=[],
        hint="run `claude` and type /login",
    )
    assert "The team file says: run `claude` and type /login." in hinted
    assert "offers no login method" not in hinted
