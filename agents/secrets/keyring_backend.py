"""The one place that picks the keyring backend and decides whether it can be trusted.

The ``keyring`` library picks a backend by itself, and two of its choices are traps: the null
backend accepts every value and silently forgets it, and the fail backend raises on first use.
Both secret stores (agents' secrets and databases' keys) load their backend here, so they read
``PYTHON_KEYRING_BACKEND`` the same way (as it is now, not as keyring cached it at first use)
and refuse the same backends, with a message that says how to get a real keyring. keyrings.alt's
plaintext file is accepted only when ``QUARTERDECK_INSECURE_KEYRING=1`` says the user knows.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import keyring
import keyring.core
from keyring.backend import KeyringBackend

from agents.secrets.errors import SecretsUnavailableError

SERVICE = "quarterdeck"
"""The keyring service every Quarterdeck secret is stored under."""

INSECURE_ENV = "QUARTERDECK_INSECURE_KEYRING"
"""Set to ``1`` to accept keyrings.alt's plaintext file backend."""

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


def load_backend(
    backend: KeyringBackend | None = None, *, allow_insecure: bool | None = None
) -> KeyringBackend:
    """``backend``, or the one ``PYTHON_KEYRING_BACKEND`` (else keyring's config or detection)
    names now, once it is known to keep secrets; ``SecretsUnavailableError`` otherwise.

    ``allow_insecure`` defaults to ``QUARTERDECK_INSECURE_KEYRING=1``.
    """
    if backend is None:
        try:
            backend = keyring.core.load_env() or keyring.get_keyring()
        except Exception as exc:  # a bad PYTHON_KEYRING_BACKEND raises many things
            raise SecretsUnavailableError(f"cannot load the keyring backend: {exc}") from exc
    if allow_insecure is None:
        allow_insecure = insecure_opt_in()
    check_backend(backend, allow_insecure=allow_insecure)
    return backend
