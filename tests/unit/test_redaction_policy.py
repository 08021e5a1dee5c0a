"""The policy's [redaction] table: PII on/off and extra patterns, validated with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.auth.issues import PolicyError
from agents.auth.loader import default_policy, load_policy_file, load_policy_text
from app.wiring.store import open_store, policy_redactor
from sessions.schema import AgentMessage
from sessions.store.reading import load_session
from sessions.store.redaction import Redactor

ROLE = '[roles.implementer]\ntools = ["read"]\n\n'
CUSTOM = ROLE + '[redaction]\npii = false\npatterns = { ticket = "TICKET-[0-9]{4,}" }\n'


def test_the_default_policy_masks_pii_and_adds_nothing() -> None:
    settings = default_policy().policy.redaction
    assert settings.pii is True and settings.patterns == {}


def test_a_bad_pattern_is_rejected_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(ROLE + '[redaction.patterns]\nok = "A[0-9]+"\nbroken = "(TICKET"\n')
    with pytest.raises(PolicyError) as caught:
        load_policy_file(path)
    assert f"{path}:6: redaction pattern 'broken' is not a valid regex" in str(caught.value)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[redaction.patterns]\nanything = "x*"\n', "matches the empty string"),
        ('[redaction]\npii = "no"\n', "pii: Input should be a valid boolean"),
        ("[redaction]\nemails = true\n", "unknown key 'emails'"),
        ('[redaction.patterns]\n"bad name!" = "x"\n', "bad name!"),
    ],
)
def test_invalid_redaction_tables_are_refused(table: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        load_policy_text(ROLE + table)


def test_extra_patterns_mask_and_pii_can_be_kept() -> None:
    redactor = Redactor(extra={"ticket": "TICKET-[0-9]{4,}"}, pii=False)
    text = redactor.redact_text("see TICKET-12345, mail ann@example.com, TICKET-12")
    assert text == "see [REDACTED:ticket], mail ann@example.com, TICKET-12"
    # A built-in marker is never re-masked by a user pattern that would match it.
    wide = Redactor(extra={"word": r"\[REDACTED:[a-z-]+\]"})
    assert wide.redact_text("ann@example.com") == "[REDACTED:email]"


def test_the_store_uses_the_policy_file_settings(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "policy.toml").write_text(CUSTOM)
    store = open_store(tmp_path / "q.db")
    try:
        store.append_sync("s1", "a", AgentMessage(agent_id="a", text="TICKET-4242 by ann@x.org"))
    finally:
        store.close()
    [record] = load_session(store.engine, "s1")
    assert record.payload["text"] == "[REDACTED:ticket] by ann@x.org"


def test_an_invalid_policy_file_keeps_the_safe_defaults(tmp_path: Path) -> None:
    bad = tmp_path / "policy.toml"
    bad.write_text(ROLE + '[redaction]\npii = false\npatterns = { t = "(" }\n')
    redactor = policy_redactor(policy=bad)
    assert redactor.pii is True
    assert redactor.redact_text("ann@example.com") == "[REDACTED:email]"
