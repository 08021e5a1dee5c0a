"""The agents' secrets in the OS keyring, with an index of their names.

The backend comes from :func:`agents.secrets.keyring_backend.load_backend`, which refuses the
ones that cannot keep a secret. Keyring cannot list what it holds, so the store keeps the *names*
(never the values) in a small JSON index whose path the caller gives.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from pathlib import Path
from secrets import token_hex, token_urlsafe

import keyring.errors
from keyring.backend import KeyringBackend

from agents.secrets.errors import (
    InvalidSecretNameError,
    SecretNotFoundError,
    SecretsError,
    SecretsUnavailableError,
)
from agents.secrets.keyring_backend import FIX, SERVICE, backend_name, load_backend, unreadable

__all__ = [
    "InvalidSecretNameError",
    "SecretNotFoundError",
    "SecretStore",
    "SecretsError",
    "SecretsUnavailableError",
    "validate_name",
]

NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
"""What a secret's name may be."""


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
        self.backend = load_backend(backend, allow_insecure=allow_insecure)
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
