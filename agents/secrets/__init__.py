"""Secrets in the OS keyring: the agents' API keys and the databases' key-encryption keys.

:mod:`~agents.secrets.keyring_backend` is the one place that picks and checks the keyring
backend; :mod:`~agents.secrets.keyring_store` keeps named secrets for agents;
:mod:`~agents.secrets.database_keys` keeps the keys that wrap an encrypted database's data keys.
"""
