"""No known secret survives redaction, whatever text carries it and however it is encoded.

Random secrets are written the ways they really leak (f-strings, a headers dict's repr, a URL
query, an exception message and its traceback, JSON, base64 / hex / URL-encoded forms); after
the redactor none of the secret's forms is left — in the text, in the bytes of a real event
database (and its WAL) and in a log file written through the redacting filter.
"""

from __future__ import annotations

import base64
import json
import logging
import string
import tempfile
import traceback
from pathlib import Path
from urllib.parse import quote, quote_plus, urlencode

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sessions.schema import AgentMessage
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore
from sessions.store.redaction import Redactor, redacting_filter

NAME = "secret"
# Brackets are left out: a secret made of "[" or "]" and marker text could be "found" again in
# the "[REDACTED:...]" markers themselves, which would be a false alarm, not a leak.
ALPHABET = "".join(
    c for c in string.ascii_letters + string.digits + string.punctuation if c not in "[]"
)
MARKERS = "[REDACTED:secret] [REDACTED:email] [REDACTED:phone] [REDACTED:connection-password]"

secrets = st.text(alphabet=ALPHABET, min_size=8, max_size=40).filter(lambda s: s not in MARKERS)


def forms(secret: str) -> list[str]:
    """The secret and the encodings of it that must never survive."""
    raw = secret.encode()
    b64 = base64.b64encode(raw).decode()
    url = base64.urlsafe_b64encode(raw).decode()
    return [
        secret,
        b64,
        b64.rstrip("="),
        url,
        url.rstrip("="),
        quote(secret),
        quote(secret, safe=""),
        quote_plus(secret),
        raw.hex(),
        raw.hex().upper(),
    ]


def _fail_with(secret: str) -> None:
    raise ConnectionError(f"GET https://api.example.com/v1/items?api_key={secret} -> 401")


def traceback_text(secret: str) -> str:
    """The formatted traceback of an exception whose message carries the secret."""
    try:
        _fail_with(secret)
    except ConnectionError as exc:
        return "".join(traceback.format_exception(exc))
    raise AssertionError("unreachable")


def leaky_texts(secret: str) -> list[str]:
    """The secret the ways it leaks in practice."""
    headers = {"Authorization": f"Bearer {secret}", "X-Api-Key": secret, "Accept": "*/*"}
    return [
        f"using key {secret} for the request",
        f"config: {secret!r}",
        f"DEBUG request headers: {headers!r}",
        f"https://api.example.com/v1/search?q=boats&key={quote(secret)}&page=2",
        "https://api.example.com/v1/search?" + urlencode({"key": secret, "q": "x y"}),
        str(ConnectionError(f"connect failed: token={secret}")),
        traceback_text(secret),
        json.dumps({"env": {"API_KEY": secret}, "argv": ["curl", "-H", f"X-Key: {secret}"]}),
        *(f"encoded: {form}." for form in forms(secret)),
    ]


def assert_clean(text: str, secret: str) -> None:
    for form in forms(secret):
        assert form not in text, f"{form!r} survived in {text!r}"


@settings(max_examples=100, deadline=None)
@given(secret=secrets)
def test_no_secret_form_survives_in_text(secret: str) -> None:
    redactor = Redactor({NAME: secret})
    for text in leaky_texts(secret):
        out = redactor.redact_text(text)
        assert_clean(out, secret)
        assert f"[REDACTED:{NAME}]" in out


@settings(max_examples=100, deadline=None)
@given(secret=secrets)
def test_no_secret_form_survives_in_json_data(secret: str) -> None:
    redactor = Redactor({NAME: secret}, pii=False)
    data = {secret: leaky_texts(secret), "n": [1, 2.5, None, True, {"k": secret}]}
    out = redactor(data)
    assert_clean(json.dumps(out), secret)
    assert out["n"][:4] == [1, 2.5, None, True]


def _database_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists())


def _write_database(db: Path, secret: str) -> bytes:
    """Append the leaky texts through a redacting store; the file bytes while open (WAL) and
    after closing."""
    store = EventStore(open_engine(db), redact=Redactor({NAME: secret}))
    try:
        for text in leaky_texts(secret):
            store.append("s1", "agent", AgentMessage(agent_id="a", text=text))
        data = {secret: leaky_texts(secret)}
        store.append_group([store.pending_data("s1", "tool", "note", data=data)]).result()
        store.flush()
        while_open = _database_bytes(db)
    finally:
        store.close()
    return while_open + _database_bytes(db)


_baseline: list[bytes] = []


def baseline() -> bytes:
    """The bytes of a database written the same way with a harmless placeholder secret."""
    if not _baseline:
        with tempfile.TemporaryDirectory() as tmp:
            _baseline.append(_write_database(Path(tmp) / "base.db", "placeholder-value"))
    return _baseline[0]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(secret=secrets)
def test_no_secret_form_reaches_the_database_file(secret: str) -> None:
    # Text that is in every such database anyway (the schema's names, the template around the
    # secret, the all-zero genesis link, hex hashes) is not a leak: such "secrets" are skipped.
    assume(not any(form.encode() in baseline() for form in forms(secret)))
    with tempfile.TemporaryDirectory() as tmp:
        blob = _write_database(Path(tmp) / "events.db", secret)
    for form in forms(secret):
        assert form.encode() not in blob


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(secret=secrets)
def test_no_secret_form_reaches_a_log_file(secret: str) -> None:
    redactor = Redactor({NAME: secret})
    logger = logging.getLogger("test_redaction_property")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "quarterdeck.log"
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.addFilter(redacting_filter(redactor))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        try:
            for text in leaky_texts(secret):
                logger.debug("payload %s", text)
            try:
                _fail_with(secret)
            except ConnectionError:
                logger.exception("request failed with %r", {"Authorization": f"Bearer {secret}"})
        finally:
            logger.removeHandler(handler)
            handler.close()
        blob = path.read_bytes()
        assert b"Traceback" in blob
        for form in forms(secret):
            assert form.encode() not in blob
