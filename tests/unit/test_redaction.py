"""The redactor: exact secrets and their encodings, credential shapes, PII, and the log filter."""

from __future__ import annotations

import base64
import copy
import hashlib
import logging
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from app.wiring.store import build_redactor, install_log_redaction, open_store
from sessions.store.redaction import RedactingFilter, Redactor, encodings, redacting_filter

SECRET = "s3cr3t/V@lue+k=y"

POSITIVE = [
    ("aws-access-key-id", "key AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE"),
    ("aws-access-key-id", "ASIAY34FZKBOKMUTVV7A,", "ASIAY34FZKBOKMUTVV7A"),
    ("github-token", "token ghp_" + "A1b2" * 9, "ghp_"),
    ("github-token", "gho_" + "x" * 36, "gho_"),
    ("github-token", "ghs_" + "Z9" * 18, "ghs_"),
    ("github-token", "ghu_" + "q" * 36, "ghu_"),
    ("github-token", "github_pat_11ABCDEFG0" + "a" * 60, "github_pat_"),
    ("slack-token", "xoxb-123456789012-abcdefABCDEF", "xoxb-"),
    ("slack-token", "xoxp-1111-2222-3333-abcd", "xoxp-"),
    ("anthropic-key", "ANTHROPIC_API_KEY=sk-ant-api03-" + "k" * 40, "sk-ant-"),
    ("openai-key", "OPENAI_API_KEY=sk-proj-" + "o1" * 24, "sk-proj-"),
    ("openai-key", "sk-" + "T3" * 24, "sk-T3"),
    ("google-api-key", "AIza" + "SyA" * 11 + "xy", "AIza"),
    (
        "private-key",
        "x\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAKCAQ==\n-----END RSA PRIVATE KEY-----\ny",
        "MIIEow",
    ),
    ("private-key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNz\naC1rZXk (cut)", "b3BlbnNz"),
    ("private-key", "-----BEGIN PRIVATE KEY-----\\nMIIEvg\\n-----END PRIVATE KEY-----", "MIIEvg"),
    ("jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlX3Y", "eyJhbGci"),
    ("authorization", "Authorization: Bearer abcdefgh12345678", "abcdefgh12345678"),
    ("authorization", "{'authorization': 'Basic dXNlcjpwYXNz'}", "dXNlcjpwYXNz"),
    ("bearer-token", "curl -H 'X: bearer tok3n.value_xyz'", "tok3n.value_xyz"),
    ("connection-password", "postgres://app:hunter2!x@db.internal:5432/app", "hunter2!x"),
    ("connection-password", "redis://default:pa55word@cache:6379", "pa55word"),
    ("email", "write to jane.doe+qd@example.co.uk today", "jane.doe"),
    ("phone", "call +14155552671", "4155552671"),
    ("phone", "call +44 20 7946 0958.", "7946"),
    ("phone", "call +1 (415) 555-2671", "555-2671"),
    ("phone", "call (415) 555-2671", "555-2671"),
    ("phone", "call 415-555-2671", "555-2671"),
    ("phone", "call 415.555.2671", "555.2671"),
    ("phone", "call 020 7946 0958", "7946 0958"),
    ("phone", "call 01 23 45 67 89", "45 67 89"),
]

NEGATIVE = [
    "The quick brown fox jumps over the lazy dog.",
    "the bearer of bad news",
    "Authorization failed: see the logs",
    "sha256 " + hashlib.sha256(b"x").hexdigest(),
    "prev_hash=" + "0" * 64 + " hash=" + "ab" * 32,
    "commit 3f9c2a1e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39",
    "2026-11-24T15:37:11.123456Z",
    "on 03-11-2026 at 14:05, seq 1234567, pid 48213, +12345 -678 lines",
    "version 1.2.3, port 5432, 192.168.1.10",
    "https://example.com/path?q=1&page=2",
    "postgres://app@db.internal:5432/app",
    "sk-short and ghp_short and AKIA123",
    "uuid 123e4567-e89b-12d3-a456-426614174000",
    "a base64 digest: " + base64.b64encode(hashlib.sha256(b"y").digest()).decode(),
]


@pytest.mark.parametrize(("name", "text", "gone"), POSITIVE)
def test_credential_and_pii_patterns_are_masked(name: str, text: str, gone: str) -> None:
    out = Redactor().redact_text(text)
    assert f"[REDACTED:{name}]" in out
    assert gone not in out


@pytest.mark.parametrize("text", NEGATIVE)
def test_ordinary_text_and_hashes_are_left_alone(text: str) -> None:
    assert Redactor().redact_text(text) == text


def test_connection_string_keeps_user_and_host() -> None:
    out = Redactor().redact_text("mysql://root:t0ps3cret@10.0.0.5/db")
    assert out == "mysql://root:[REDACTED:connection-password]@10.0.0.5/db"


def test_pii_can_be_switched_off() -> None:
    text = "jane@example.com +14155552671 ghp_" + "a" * 36
    out = Redactor(pii=False).redact_text(text)
    assert "jane@example.com" in out and "+14155552671" in out
    assert "[REDACTED:github-token]" in out
    assert "jane@example.com" not in build_redactor().redact_text(text)
    assert "jane@example.com" in build_redactor(pii=False).redact_text(text)


def test_short_secrets_are_refused() -> None:
    with pytest.raises(ValueError, match="shorter than 8"):
        Redactor().add_secret("pin", "1234567")
    with pytest.raises(ValueError, match="pin"):
        Redactor({"pin": "abc"})


def _forms(value: str) -> list[str]:
    raw = value.encode()
    return [
        value,
        base64.b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        quote(value),
        quote(value, safe=""),
        quote_plus(value),
        raw.hex(),
        raw.hex().upper(),
    ]


@pytest.mark.parametrize("index", range(10))
def test_every_encoding_of_a_known_secret_is_masked(index: int) -> None:
    form = _forms(SECRET)[index]
    redactor = Redactor({"db": SECRET}, patterns=False, pii=False)
    out = redactor.redact_text(f"before {form} after")
    assert out == "before [REDACTED:db] after"


def test_a_secret_inside_a_longer_base64_blob_is_masked() -> None:
    redactor = Redactor({"db": SECRET}, patterns=False, pii=False)
    for prefix in ("u:", "us:", "use:"):
        blob = base64.b64encode(f"{prefix}{SECRET}!".encode()).decode()
        assert "[REDACTED:db]" in redactor.redact_text(blob)


def test_a_hex_string_is_masked_only_when_it_encodes_a_known_secret() -> None:
    redactor = Redactor({"db": SECRET})
    digest = hashlib.sha256(SECRET.encode()).hexdigest()  # a hash of it is not an encoding
    assert redactor.redact_text(digest) == digest
    assert redactor.redact_text(SECRET.encode().hex()) == "[REDACTED:db]"


def test_longest_secret_wins() -> None:
    redactor = Redactor({"short": "abcdefgh", "long": "abcdefgh-and-more"})
    assert redactor.redact_text("x abcdefgh-and-more abcdefgh") == (
        "x [REDACTED:long] [REDACTED:short]"
    )


def test_structure_is_preserved_and_input_not_mutated() -> None:
    data = {
        "kind": "tool",
        "n": 3,
        "ok": True,
        "none": None,
        "ratio": 0.5,
        "argv": ["curl", f"https://x.test/?key={SECRET}"],
        SECRET: {"nested": [f"token {SECRET}", 7]},
    }
    before = copy.deepcopy(data)
    out = Redactor({"api": SECRET})(data)
    assert data == before
    assert out == {
        "kind": "tool",
        "n": 3,
        "ok": True,
        "none": None,
        "ratio": 0.5,
        "argv": ["curl", "https://x.test/?key=[REDACTED:api]"],
        "[REDACTED:api]": {"nested": ["token [REDACTED:api]", 7]},
    }


def test_encodings_are_all_at_least_the_minimum_length() -> None:
    assert all(len(form) >= 8 for form in encodings("abcdefgh"))
    assert "abcdefgh" in encodings("abcdefgh")


def test_log_filter_redacts_message_arguments_and_traceback() -> None:
    redactor = Redactor({"api": SECRET})
    logger = logging.getLogger("test_redaction.filter")
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Collect()
    handler.addFilter(redacting_filter(redactor))
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("headers %r", {"Authorization": f"Bearer {SECRET}"})
        try:
            raise RuntimeError(f"GET https://api.test/?key={quote(SECRET)} failed")
        except RuntimeError:
            logger.exception("request failed for %s", SECRET)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    text = "\n".join(records)
    assert "Traceback" in text and "RuntimeError" in text
    for form in _forms(SECRET):
        assert form not in text
    assert text.count("[REDACTED:api]") >= 3


def test_install_log_redaction_replaces_the_previous_filter() -> None:
    logger = logging.getLogger("test_redaction.install")
    handler = logging.NullHandler()
    logger.addHandler(handler)
    try:
        assert install_log_redaction(Redactor(), logger) == 1
        assert install_log_redaction(Redactor(), logger) == 1
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
    finally:
        logger.removeHandler(handler)


def test_open_store_redacts_payloads_before_they_are_stored(tmp_path: Path) -> None:
    redactor = build_redactor([("api", SECRET)])
    store = open_store(tmp_path / "r.db", redactor=redactor)
    try:
        item = store.pending_data(
            "s1", "user", "note", data={"text": f"use {SECRET} jo@example.com"}
        )
    finally:
        store.close()
    assert SECRET not in item[4] and "jo@example.com" not in item[4]
    assert "[REDACTED:api]" in item[4] and "[REDACTED:email]" in item[4]


def test_find_credential_names_secrets_and_shapes_but_never_pii() -> None:
    redactor = Redactor([("svc", "stored-value-1234")])
    assert redactor.find_credential("x = stored-value-1234") == "svc"
    assert redactor.find_credential("AKIAABCDEFGHIJKLMNOP") == "aws-access-key-id"
    assert redactor.find_credential("-----BEGIN RSA PRIVATE KEY-----\nMIIE") == "private-key"
    assert redactor.find_credential("mail me: a@example.com, +1 415 555 2671") is None
    custom = Redactor(extra={"ticket": "TICKET-[0-9]{4}"})
    assert custom.find_credential("see TICKET-1234") is None  # masked in logs, not a secret
