"""Masking of secrets and personal data in event payloads and log records.

A :class:`Redactor` replaces, in any JSON data or text:

* the exact value of every known secret and its common encodings (base64 standard and urlsafe,
  padded or not and also embedded in a longer base64 run; URL-encoded; hex; JSON- and
  repr-escaped) with ``[REDACTED:<secret name>]``;
* common credential shapes (provider API keys, private key blocks, JWTs, bearer tokens,
  passwords in connection strings) with ``[REDACTED:<pattern name>]``;
* personal data (emails, phone numbers) unless built with ``pii=False``.

Hex digests and git SHAs are never masked unless they encode a known secret: the log's own
hashes are not secrets. The store applies a redactor to every payload before serialization and
hashing (``EventStore(..., redact=...)``); :class:`RedactingFilter` covers log records.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

MIN_SECRET_LENGTH = 8
"""Shorter values are refused: masking them would mask ordinary words and numbers."""

_PH = r"(?!\[REDACTED)"  # a value already masked is not masked again under another name

# (name, regex, group to mask or 0 for the whole match). Written for this project. Applied one
# after the other in this order, so the more specific shapes (a JWT in an Authorization header,
# sk-ant- before sk-) name the match; _PH keeps a later rule from re-masking a marker.
_CREDENTIALS: tuple[tuple[str, str, int], ...] = (
    (
        "private-key",
        r"-----BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY( BLOCK)?-----"
        r"(?:.*?-----END[A-Z0-9 ]{0,40} PRIVATE KEY( BLOCK)?-----|[A-Za-z0-9+/=\s\\:,-]*)",
        0,
    ),
    (
        "connection-password",
        r"\b[A-Za-z][A-Za-z0-9+.-]{1,30}://[^\s:/@\[\]]+:(" + _PH + r"[^\s@/]+)@(?=[^\s@])",
        1,
    ),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*", 0),
    ("aws-access-key-id", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}\b", 0),
    ("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255})\b", 0),
    ("slack-token", r"\bxox[abprs]-[A-Za-z0-9-]{10,}", 0),
    ("anthropic-key", r"\bsk-ant-[A-Za-z0-9_-]{20,}", 0),
    ("openai-key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}", 0),
    ("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}", 0),
    (
        "authorization",
        r"(?i:\bauthorization[\"']?\s*[:=]\s*[\"']?(?:(?:bearer|basic|token|digest)\s+)?)"
        r"(" + _PH + r"[^\s\"',;}]{8,})",
        1,
    ),
    (
        "bearer-token",
        r"(?i:\bbearer\s+)(" + _PH + r"(?=[A-Za-z0-9._~+/-]*\d)[A-Za-z0-9._~+/-]{8,}=*)",
        1,
    ),
)

_PII: tuple[tuple[str, str, int], ...] = (
    (
        "email",
        r"(?<![\w.%+/-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b",
        0,
    ),
    (
        "phone",
        # E.164 with optional separators: +14155552671, +44 20 7946 0958, +1 (415) 555-2671.
        r"(?<![\w+])\+(?=(?:(?:[ .-]|\) ?| ?\()?\d){8})[1-9]\d{0,2}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{2,5}){2,5}(?![\w.-]?\d)"
        # North American: (415) 555-2671, 415-555-2671, 415.555.2671.
        r"|(?<![\w.-])(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w.-]?\d)"
        # Common national formats with a trunk 0: 020 7946 0958, 07700 900123, 01 23 45 67 89.
        r"|(?<![\w.-])(?=(?:[ -]?\d){9})0\d{1,4}(?:[ -]\d{2,4}){2,4}(?![\w.-]?\d)",
        0,
    ),
)

_PHONE_GATE = re.compile(r"\d\d[ .)-]\s?\d\d")

# Cheap tests that every match of a rule needs; the rule's regex runs only when its gate passes,
# so text without any hint of a credential costs a few substring checks. ``low`` is the text in
# lower case (for the case-insensitive rules).
_GATES: dict[str, Callable[[str, str], bool]] = {
    "private-key": lambda text, low: "PRIVATE KEY" in text,
    "connection-password": lambda text, low: "://" in text,
    "jwt": lambda text, low: "eyJ" in text,
    "aws-access-key-id": lambda text, low: "A" in text,
    "github-token": lambda text, low: "gh" in text or "github_pat_" in text,
    "slack-token": lambda text, low: "xox" in text,
    "anthropic-key": lambda text, low: "sk-ant-" in text,
    "openai-key": lambda text, low: "sk-" in text,
    "google-api-key": lambda text, low: "AIza" in text,
    "authorization": lambda text, low: "authorization" in low,
    "bearer-token": lambda text, low: "bearer" in low,
    "email": lambda text, low: "@" in text,
    "phone": lambda text, low: "+" in text or _PHONE_GATE.search(text) is not None,
}

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str], Callable[[str, str], bool]]
"""A compiled rule: its regex, the replacement function, its gate."""


def _always(text: str, low: str) -> bool:
    return True


def _compile(rules: Iterable[tuple[str, str, int]]) -> tuple[Rule, ...]:
    return tuple(
        (re.compile(regex, re.DOTALL), _masker(name, group), _GATES.get(name, _always))
        for name, regex, group in rules
    )


def _b64_forms(raw: bytes) -> set[str]:
    """Base64 of ``raw`` as a whole and the part that survives inside any longer base64 run."""
    forms: set[str] = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(raw).decode()
        forms.update((whole, whole.rstrip("=")))
        for shift in (1, 2):  # raw starting 1 or 2 bytes into a 3-byte group of a longer blob
            text = encode(b"\0" * shift + raw).decode().rstrip("=")
            start = (shift * 8 + 5) // 6  # first character not touched by the shifted-in bytes
            tail = (len(raw) + shift) % 3
            end = len(text) - (1 if tail else 0)  # the last character mixes in what follows
            forms.add(text[start:end])
        if len(raw) % 3:
            forms.add(whole.rstrip("=")[:-1])  # the secret followed by more bytes
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def encodings(value: str) -> set[str]:
    """Every form of ``value`` the redactor masks: raw, escaped, base64, URL-encoded, hex."""
    raw = value.encode()
    forms = {value, quote(value, safe=""), quote(value), quote_plus(value)}
    forms.update(
        (json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1], repr(value)[1:-1])
    )
    forms.update((raw.hex(), raw.hex().upper()))
    forms.update(_b64_forms(raw))
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


class Redactor:
    """Masks known secrets (and their encodings), credential shapes, optionally PII, and the
    ``extra`` patterns (name → regex) a policy file adds.

    Callable on JSON data (returns a redacted copy; the input is never mutated) and on text via
    :meth:`redact_text`. Thread-safe: adding a secret swaps in a new compiled matcher.
    """

    def __init__(
        self,
        secrets: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        *,
        patterns: bool = True,
        pii: bool = True,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        self.pii = pii
        self.patterns = patterns
        # The user's own patterns (policy [redaction.patterns]) run last, ungated: a value
        # already masked by a built-in rule is not masked again.
        custom = tuple((name, _PH + f"(?:{regex})", 0) for name, regex in (extra or {}).items())
        rules = (_CREDENTIALS if patterns else ()) + (_PII if pii else ()) + custom
        self._rules = _compile(rules)
        self._lock = threading.Lock()
        self._forms: dict[str, str] = {}
        self._known: re.Pattern[str] | None = None
        pairs = secrets.items() if isinstance(secrets, Mapping) else secrets
        for name, value in pairs:
            self.add_secret(name, value)

    def add_secret(self, name: str, value: str) -> None:
        """Mask ``value`` and its encodings as ``[REDACTED:name]`` from now on.

        Raises ``ValueError`` for values shorter than :data:`MIN_SECRET_LENGTH` characters.
        """
        if len(value) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"secret {name!r} is shorter than {MIN_SECRET_LENGTH} characters; "
                "masking it would mask ordinary text"
            )
        with self._lock:
            forms = dict(self._forms)
            for form in encodings(value):
                forms.setdefault(form, name)
            ordered = sorted(forms, key=lambda form: (-len(form), form))  # longest first
            self._known = re.compile("|".join(map(re.escape, ordered)))
            self._forms = forms

    @property
    def secret_count(self) -> int:
        """How many distinct masked forms (values and encodings) are known."""
        return len(self._forms)

    def find_secret(self, text: str) -> str | None:
        """The name of the first known secret whose value (or an encoding of it) is in ``text``."""
        known, forms = self._known, self._forms
        if known is None:
            return None
        match = known.search(text)
        return None if match is None else forms[match.group()]

    def find_credential(self, text: str) -> str | None:
        """The name of the first known secret or credential shape in ``text`` (never PII or
        the policy's extra patterns): what keeps a file out of a checkpoint."""
        found = self.find_secret(text)
        if found is not None:
            return found
        low = text.lower()
        for name, (regex, _replace, gate) in zip(_CREDENTIAL_NAMES, _CREDENTIAL_RULES, strict=True):
            if gate(text, low) and regex.search(text) is not None:
                return name
        return None

    def redact_text(self, text: str) -> str:
        """``text`` with every known secret, credential shape and (if on) PII masked."""
        known, forms = self._known, self._forms  # one consistent pair, even while adding
        if known is not None:
            text = known.sub(lambda match: f"[REDACTED:{forms[match.group()]}]", text)
        if self._rules:
            low = text.lower()
            for regex, replace, gate in self._rules:
                if gate(text, low):
                    text = regex.sub(replace, text)
        return text

    def __call__(self, data: Any) -> Any:
        """A redacted copy of JSON data: dict keys and values, list items, strings."""
        if isinstance(data, str):
            return self.redact_text(data) if len(data) >= 6 else data
        if isinstance(data, dict):
            return {self(key): self(value) for key, value in data.items()}
        if isinstance(data, (list, tuple)):
            return [self(item) for item in data]
        return data


_CREDENTIAL_NAMES = tuple(name for name, _regex, _group in _CREDENTIALS)


def _masker(name: str, group: int) -> Callable[[re.Match[str]], str]:
    """The replacement function of a rule: the whole match or just ``group`` becomes a marker."""
    marker = f"[REDACTED:{name}]"
    if not group:
        return lambda match: marker

    def mask(match: re.Match[str]) -> str:
        start, end = match.span(group)
        base, text = match.start(), match.group()
        return f"{text[: start - base]}{marker}{text[end - base :]}"

    return mask


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the fully rendered record: message, traceback and stack.

    Install it on handlers (handler filters see records from every logger). The message is
    rendered with its arguments and the traceback formatted here, so nothing unredacted is left
    for a formatter to render later.
    """

    def __init__(self, redact: Callable[[str], str]) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place; never drops it."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what we can, redacted
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        record.exc_info = None  # the redacted exc_text is what formatters print
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def redacting_filter(redactor: Redactor) -> RedactingFilter:
    """A :class:`RedactingFilter` that masks with ``redactor``."""
    return RedactingFilter(redactor.redact_text)


_CREDENTIAL_RULES = _compile(_CREDENTIALS)
"""The credential shapes alone, compiled once: :meth:`Redactor.find_credential` scans with them."""
