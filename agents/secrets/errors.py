"""The secret stores' errors, each with a message a user can act on."""

from __future__ import annotations

from sessions.errors import QuarterdeckError


class SecretsError(QuarterdeckError):
    """Base of the secret store's errors."""


class SecretsUnavailableError(SecretsError):
    """No acceptable keyring backend; the message says how to get one."""


class SecretNotFoundError(SecretsError):
    """The named secret is not in the keyring."""


class InvalidSecretNameError(SecretsError):
    """A secret name outside ``[A-Za-z0-9_.-]{1,64}``."""
