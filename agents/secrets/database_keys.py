"""The key-encryption keys of encrypted databases, in the OS keyring, and their rotation.

A database's KEK is the keyring entry ``storage-kek.<db_id>.v<version>`` under service
``quarterdeck`` (the same backend allowlist as every secret: null and fail are refused,
plaintext needs the opt-in). It is never indexed with the user's secrets, so no team file can
hand it to an agent. Rotation survives SIGKILL at any point:

1. ``crypto_meta.pending_version`` is set (one transaction);
2. the new KEK is put in the keyring;
3. every data key is rewrapped with it, a fresh data key added and the version made current,
   all in one transaction;
4. the old KEK is deleted from the keyring, and ``retired_version`` cleared.

On open, :func:`recover` finishes what a killed rotation left: before step 3 committed, the
rotation is completed if the new KEK reached the keyring and abandoned otherwise; after it, the
retired KEK is deleted.
"""

from __future__ import annotations

import base64
import binascii
import os
import socket
import uuid

import keyring.errors
from keyring.backend import KeyringBackend
from sqlalchemy import Engine

from agents.secrets.errors import SecretsUnavailableError
from agents.secrets.keyring_backend import SERVICE, backend_name, load_backend, unreadable
from sessions.errors import StoreError
from sessions.store import data_keys as keys
from sessions.store.crypto import KEY_BYTES, PayloadCipher, attach
from sessions.store.data_keys import KeyState, Step


class KeyVault:
    """KEKs in the keyring, behind the same allowlist as :class:`agents.secrets.keyring_store.SecretStore`."""

    def __init__(
        self, *, backend: KeyringBackend | None = None, allow_insecure: bool | None = None
    ) -> None:
        self.backend = load_backend(backend, allow_insecure=allow_insecure)

    @staticmethod
    def name(db_id: str, version: int) -> str:
        """The keyring user name of a database's KEK version."""
        return f"storage-kek.{db_id}.v{version}"

    def get(self, db_id: str, version: int) -> bytes | None:
        """KEK ``version`` of ``db_id``, or None when the keyring lacks it."""
        try:
            text = self.backend.get_password(SERVICE, self.name(db_id, version))
        except keyring.errors.KeyringError as exc:
            raise SecretsUnavailableError(f"keyring: {exc}") from exc
        except Exception as exc:  # backends fail in their own ways (an assert, a bad padding)
            raise unreadable(backend_name(self.backend), self.name(db_id, version), exc) from exc
        if text is None:
            return None
        try:
            key = base64.urlsafe_b64decode(text.encode())
        except (binascii.Error, ValueError) as exc:
            raise StoreError(f"keyring entry {self.name(db_id, version)} is not a key") from exc
        if len(key) != KEY_BYTES:
            raise StoreError(f"keyring entry {self.name(db_id, version)} is not a 256-bit key")
        return key

    def put(self, db_id: str, version: int, key: bytes) -> None:
        """Store a KEK, and read it back: a backend that drops it must fail here, not later."""
        name = self.name(db_id, version)
        try:
            self.backend.set_password(SERVICE, name, base64.urlsafe_b64encode(key).decode())
        except keyring.errors.KeyringError as exc:
            raise SecretsUnavailableError(f"keyring: cannot store {name}: {exc}") from exc
        if self.get(db_id, version) != key:
            raise SecretsUnavailableError(f"keyring: {name} was not kept by the backend")

    def delete(self, db_id: str, version: int) -> None:
        """Remove a KEK; absent already is fine."""
        try:
            self.backend.delete_password(SERVICE, self.name(db_id, version))
        except keyring.errors.PasswordDeleteError:
            return
        except keyring.errors.KeyringError as exc:
            raise SecretsUnavailableError(f"keyring: {exc}") from exc


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_alive(owner: str | None) -> bool:
    """Whether the process that began a rotation still runs (on this host)."""
    if not owner:
        return False
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another host: its rotation is judged abandoned only by its own host
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return int(pid) != os.getpid()


def recover(engine: Engine, vault: KeyVault, step: Step | None = None) -> KeyState | None:
    """Complete or roll back a rotation a crash interrupted; returns the settled state."""
    state = keys.read_state(engine)
    if state is None:
        return None
    if state.pending_version is not None:
        if _owner_alive(state.pending_owner):
            raise StoreError(
                f"a key rotation is in progress in process {state.pending_owner}; wait for it"
            )
        new = vault.get(state.db_id, state.pending_version)
        old = vault.get(state.db_id, state.kek_version)
        if new is not None and old is not None:
            keys.commit_rotation(engine, old, new)  # finish it: the new KEK is safely stored
            if step is not None:
                step("recovered-commit")
        else:
            keys.abandon_rotation(engine)
            if step is not None:
                step("recovered-abandon")
        state = keys.read_state(engine)
        assert state is not None
    if state.retired_version is not None:
        vault.delete(state.db_id, state.retired_version)
        keys.forget_retired(engine)
        state = keys.read_state(engine)
        assert state is not None
    return state


def _cipher(state: KeyState, vault: KeyVault) -> PayloadCipher:
    kek = vault.get(state.db_id, state.kek_version)
    if kek is None:
        raise StoreError(
            f"the database is encrypted but its key ({vault.name(state.db_id, state.kek_version)})"
            " is not in this keyring; use the keyring it was created with"
        )
    return PayloadCipher(keys.unwrap_all(state, kek), state.current_key)


def open_cipher(
    engine: Engine, vault: KeyVault, *, create: bool, step: Step | None = None
) -> PayloadCipher | None:
    """The cipher of ``engine``'s database, attached to it for every reader.

    None when the database is not encrypted and ``create`` is off; with ``create`` a plaintext
    database becomes encrypted from now on: its projections are sealed in place, its earlier
    log rows stay as they were written (:func:`sessions.store.data_keys.initialize`). A rotation a crash
    interrupted is settled first.
    """
    state = recover(engine, vault)
    if state is None:
        if not create:
            return None
        db_id = uuid.uuid4().hex
        kek = keys.new_key()
        vault.put(db_id, 1, kek)  # in the keyring before the database depends on it
        keys.initialize(engine, db_id, kek, step=step)
        state = keys.read_state(engine)
        assert state is not None
    cipher = _cipher(state, vault)
    attach(engine, cipher)
    return cipher


def rotate(engine: Engine, vault: KeyVault, step: Step | None = None) -> KeyState:
    """Rotate the database's KEK (see the module docstring); returns the new state."""
    state = recover(engine, vault)
    if state is None:
        raise StoreError("the database is not encrypted: there is no key to rotate")
    old = vault.get(state.db_id, state.kek_version)
    if old is None:
        raise StoreError(
            f"the current key {vault.name(state.db_id, state.kek_version)} is not in this keyring"
        )

    def reached(name: str) -> None:
        if step is not None:
            step(name)

    version = keys.begin_rotation(engine, state.kek_version, _owner())
    reached("pending")
    new = keys.new_key()
    vault.put(state.db_id, version, new)
    reached("new-key-stored")
    keys.commit_rotation(engine, old, new)
    reached("rewrapped")
    vault.delete(state.db_id, state.kek_version)
    reached("old-key-deleted")
    keys.forget_retired(engine)
    reached("done")
    settled = keys.read_state(engine)
    assert settled is not None
    return settled
