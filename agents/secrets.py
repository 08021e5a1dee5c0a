"""Secrets in the OS keyring, behind a backend allowlist, with an index of their names.

The ``keyring`` library picks a backend by itself, and two of its choices are traps: the null
backend accepts every value and silently forgets it, and the fail backend raises on first use.
A ``SecretStore`` refuses both with a message that says how to get a real keyring, and accepts
keyrings.alt's plaintext file (base64 in a file) only when ``QUARTERDECK_INSECURE_KEYRING=1``
says the user knows. Keyring cannot list what it holds, so the store keeps the *names* (never the
values) in a small JSON index whose path the caller gives.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from secrets import token_hex, token_urlsafe

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from sessions.errors import QuarterdeckError

SERVICE = "quarterdeck"
"""The keyring service every Quarterdeck secret is stored under."""

INSECURE_ENV = "QUARTERDECK_INSECURE_KEYRING"
"""Set to ``1`` to accept keyrings.alt's plaintext file backend."""

NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
"""What a secret's name may be."""

REFUSED = frozenset({"keyring.backends.null.Keyring", "keyring.backends.fail.Keyring"})
"""Backends that cannot keep a secret: null drops it silently, fail raises."""

INSECURE = frozenset({"keyrings.alt.file.PlaintextKeyring"})
"""Backends that keep secrets readable by anyone who can read a file: opt-in only."""

CHAINER = "keyring.backends.chainer.ChainerBackend"

FIX = (
    "start a Secret Service such as gnome-keyring inside a D-Bus session"
    " (dbus-run-session, then gnome-keyring-daemon --unlock), or choose keyrings.alt's"
    " encrypted file backend: pip install keyrings.alt and set"
    " PYTHON_KEYRING_BACKEND=keyrings.alt.file.EncryptedKeyring (it asks for a password)"
)
"""How to get a keyring that keeps secrets; part of every refusal."""


class SecretsError(QuarterdeckError):
    """Base of the secret store's errors."""


class SecretsUnavailableError(SecretsError):
    """No acceptable keyring backend; the message says how to get one."""


class SecretNotFoundError(SecretsError):
    """The named secret is not in the keyring."""


class InvalidSecretNameError(SecretsError):
    """A secret name outside ``[A-Za-z0-9_.-]{1,64}``."""


def backend_name(backend: KeyringBackend) -> str:
    """The dotted class path of a backend, as ``PYTHON_KEYRING_BACKEND`` would name it."""
    kind = type(backend)
    return f"{kind.__module__}.{kind.__qualname__}"


def insecure_opt_in(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the user opted into the plaintext file backend."""
    return (os.environ if environ is None else environ).get(INSECURE_ENV) == "1"


def check_backend(backend: KeyringBackend, *, allow_insecure: bool) -> None:
    """Raise ``SecretsUnavailableError`` unless ``backend`` can be trusted with secrets.

    A chainer (keyring's "try each viable backend" wrapper) is judged by its members: an empty
    chain is as useless as the fail backend, and a plaintext member needs the opt-in too.
    """
    name = backend_name(backend)
    if name == CHAINER:
        members: list[KeyringBackend] = list(getattr(backend, "backends", []))
        if not members:
            raise SecretsUnavailableError(f"no usable keyring (empty {name}): {FIX}")
        for member in members:
            check_backend(member, allow_insecure=allow_insecure)
        return
    if name in REFUSED:
        kind = "drops every secret silently" if name.endswith("null.Keyring") else "has no keyring"
        raise SecretsUnavailableError(f"the keyring backend {name} {kind}: {FIX}")
    if name in INSECURE and not allow_insecure:
        raise SecretsUnavailableError(
            f"the keyring backend {name} stores secrets in a plaintext file; set"
            f" {INSECURE_ENV}=1 to accept that explicitly, or {FIX}"
        )


def unreadable(backend: str, name: str, exc: Exception) -> SecretsUnavailableError:
    """The error for a backend that failed to read ``name`` with something not a KeyringError
    (keyrings.alt's encrypted file backend asserts when the password is wrong)."""
    return SecretsUnavailableError(
        f"keyring {backend} could not read {name!r} ({type(exc).__name__}: {exc or 'no detail'});"
        " with an encrypted file keyring this means a wrong password"
    )


def validate_name(name: str) -> str:
    """``name`` if it is a valid secret name; ``InvalidSecretNameError`` otherwise."""
    if NAME_RE.fullmatch(name) is None:
        raise InvalidSecretNameError(
            f"invalid secret name {name!r}: use 1 to 64 of A-Z a-z 0-9 _ . -"
        )
    return name


class SecretStore:
    """Named secrets in the keyring under service ``quarterdeck``, plus an index of names.

    ``backend`` defaults to keyring's own choice (``PYTHON_KEYRING_BACKEND``, its config file,
    or detection); ``allow_insecure`` defaults to ``QUARTERDECK_INSECURE_KEYRING=1``.
    Construction refuses a backend that cannot keep secrets.
    """

    def __init__(
        self,
        index_path: Path,
        *,
        backend: KeyringBackend | None = None,
        allow_insecure: bool | None = None,
    ) -> None:
        if backend is None:
            try:
                backend = keyring.get_keyring()
            except Exception as exc:  # a bad PYTHON_KEYRING_BACKEND raises many things
                raise SecretsUnavailableError(f"cannot load the keyring backend: {exc}") from exc
        if allow_insecure is None:
            allow_insecure = insecure_opt_in()
        check_backend(backend, allow_insecure=allow_insecure)
        self.backend = backend
        self.index_path = index_path

    @property
    def backend_name(self) -> str:
        """The backend's dotted class path."""
        return backend_name(self.backend)

    def _unavailable(self, exc: Exception) -> SecretsUnavailableError:
        return SecretsUnavailableError(f"keyring {self.backend_name}: {exc}")

    def _broken(self, name: str, exc: Exception) -> SecretsUnavailableError:
        return unreadable(self.backend_name, name, exc)

    def _read_index(self) -> list[str]:
        try:
            raw = self.index_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise SecretsError(f"{self.index_path}: not a secrets index: {exc}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("names"), list):
            raise SecretsError(f"{self.index_path}: not a secrets index (no names list)")
        return sorted({str(n) for n in data["names"] if NAME_RE.fullmatch(str(n))})

    def _write_index(self, names: list[str]) -> None:
        # Write a temp file and rename it, so a crash never leaves a half-written index.
        self.index_path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"service": SERVICE, "names": sorted(set(names))}, indent=2) + "\n"
        fd, tmp = tempfile.mkstemp(dir=self.index_path.parent, prefix=".secrets-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(body)
            os.replace(tmp, self.index_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def set(self, name: str, value: str) -> None:
        """Store ``value`` as secret ``name`` (replacing any earlier value)."""
        validate_name(name)
        if not value:
            raise SecretsError(f"refusing to store an empty value for secret {name!r}")
        try:
            self.backend.set_password(SERVICE, name, value)
        except keyring.errors.KeyringError as exc:
            raise self._unavailable(exc) from exc
        names = self._read_index()
        if name not in names:
            self._write_index([*names, name])

    def get(self, name: str) -> str:
        """The value of secret ``name``; ``SecretNotFoundError`` when the keyring lacks it."""
        validate_name(name)
        try:
            value = self.backend.get_password(SERVICE, name)
        except keyring.errors.KeyringError as exc:
            raise self._unavailable(exc) from exc
        except Exception as exc:  # backends fail in their own ways (an assert, a bad padding)
            raise self._broken(name, exc) from exc
        if value is None:
            raise SecretNotFoundError(
                f"no secret named {name!r} in the keyring: quarterdeck secrets set {name}"
            )
        return value

    def delete(self, name: str) -> None:
        """Remove secret ``name``; ``SecretNotFoundError`` when neither keyring nor index has it."""
        validate_name(name)
        names = self._read_index()
        try:
            self.backend.delete_password(SERVICE, name)
        except keyring.errors.PasswordDeleteError as exc:
            if name not in names:
                raise SecretNotFoundError(f"no secret named {name!r}") from exc
        except keyring.errors.KeyringError as exc:
            raise self._unavailable(exc) from exc
        if name in names:
            self._write_index([n for n in names if n != name])

    def names(self) -> list[str]:
        """The names of the stored secrets, sorted (from the index; no keyring access)."""
        return self._read_index()

    def known_values(self) -> dict[str, str]:
        """Every indexed secret that the keyring still holds, by name (for redaction)."""
        values: dict[str, str] = {}
        for name in self._read_index():
            try:
                values[name] = self.get(name)
            except SecretNotFoundError:
                continue  # removed behind our back: nothing left to redact
        return values

    def canary(self) -> None:
        """Store, read back and delete a random value; raise if the backend did not keep it."""
        name = f"canary-{token_hex(8)}"
        value = token_urlsafe(24)
        try:
            self.backend.set_password(SERVICE, name, value)
            try:
                got = self.backend.get_password(SERVICE, name)
            finally:
                # Already gone on a dropping backend: the check below reports that.
                with contextlib.suppress(keyring.errors.KeyringError):
                    self.backend.delete_password(SERVICE, name)
        except keyring.errors.KeyringError as exc:
            raise self._unavailable(exc) from exc
        if got != value:
            lost = "lost" if got is None else "changed"
            raise SecretsUnavailableError(
                f"the keyring backend {self.backend_name} {lost} a canary secret: {FIX}"
            )
