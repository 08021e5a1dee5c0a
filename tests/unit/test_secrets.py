"""The secret store: the backend allowlist, the name index, the canary, and role injection."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.core
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.errors import PasswordDeleteError

from agents.orchestrator.agent_launch import agent_spec
from agents.secrets.keyring_store import (
    SERVICE,
    InvalidSecretNameError,
    SecretNotFoundError,
    SecretsError,
    SecretStore,
    SecretsUnavailableError,
)
from agents.team import RoleConfig


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps values in a dict: a stand-in for a real Secret Service."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.values.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


class DroppingKeyring(MemoryKeyring):
    """Accepts every value and keeps none, like the null backend, under another name."""

    def set_password(self, service: str, username: str, password: str) -> None:
        return None


class PlaintextKeyring(MemoryKeyring):
    """Named like keyrings.alt's plaintext file backend, for the opt-in rule."""


PlaintextKeyring.__module__ = "keyrings.alt.file"


@pytest.fixture
def index(tmp_path: Path) -> Path:
    return tmp_path / "data" / "secrets.json"


@pytest.fixture
def store(index: Path) -> SecretStore:
    return SecretStore(index, backend=MemoryKeyring())


@pytest.fixture
def restore_keyring() -> Iterator[None]:
    """Tests that change keyring's global backend put the previous one back."""
    before = keyring.get_keyring()
    yield
    keyring.core.set_keyring(before)


@pytest.mark.parametrize(
    ("backend_path", "says"),
    [
        ("keyring.backends.null.Keyring", "drops every secret silently"),
        ("keyring.backends.fail.Keyring", "has no keyring"),
    ],
)
def test_null_and_fail_from_the_environment_are_refused_with_the_fix(
    backend_path: str,
    says: str,
    index: Path,
    monkeypatch: pytest.MonkeyPatch,
    restore_keyring: None,
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", backend_path)
    keyring.core.init_backend()
    with pytest.raises(SecretsUnavailableError) as caught:
        SecretStore(index)
    message = str(caught.value)
    assert backend_path in message and says in message
    assert "gnome-keyring" in message and "D-Bus" in message
    assert "PYTHON_KEYRING_BACKEND=keyrings.alt.file.EncryptedKeyring" in message
    assert "password" in message


def test_a_backend_chosen_by_the_environment_is_used(
    index: Path, monkeypatch: pytest.MonkeyPatch, restore_keyring: None
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", f"{__name__}.MemoryKeyring")
    keyring.core.init_backend()
    store = SecretStore(index)
    assert store.backend_name == f"{__name__}.MemoryKeyring"
    store.set("svc", "value-1234")
    assert store.get("svc") == "value-1234"


@pytest.mark.parametrize("backend", [null.Keyring(), fail.Keyring()])
def test_constructed_null_and_fail_backends_are_refused(
    backend: KeyringBackend, index: Path
) -> None:
    with pytest.raises(SecretsUnavailableError, match="gnome-keyring"):
        SecretStore(index, backend=backend, allow_insecure=True)


def test_plaintext_needs_the_explicit_opt_in(index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUARTERDECK_INSECURE_KEYRING", raising=False)
    with pytest.raises(SecretsUnavailableError) as caught:
        SecretStore(index, backend=PlaintextKeyring())
    assert "plaintext" in str(caught.value)
    assert "QUARTERDECK_INSECURE_KEYRING=1" in str(caught.value)
    monkeypatch.setenv("QUARTERDECK_INSECURE_KEYRING", "1")
    store = SecretStore(index, backend=PlaintextKeyring())
    store.set("svc", "value-1234")
    assert store.get("svc") == "value-1234"


def _has_keyrings_alt() -> bool:
    try:
        return importlib.util.find_spec("keyrings.alt") is not None
    except ModuleNotFoundError:  # no ``keyrings`` namespace at all
        return False


@pytest.mark.skipif(not _has_keyrings_alt(), reason="keyrings.alt is not installed")
def test_the_real_plaintext_backend_needs_the_opt_in(
    index: Path, monkeypatch: pytest.MonkeyPatch, restore_keyring: None
) -> None:  # pragma: no cover - keyrings.alt is optional
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    keyring.core.init_backend()
    with pytest.raises(SecretsUnavailableError, match="QUARTERDECK_INSECURE_KEYRING"):
        SecretStore(index, allow_insecure=False)
    SecretStore(index, allow_insecure=True)


def test_set_get_list_rm_round_trip(store: SecretStore, index: Path) -> None:
    store.set("svc", "first-value")
    store.set("other.key-2", "second-value")
    store.set("svc", "replaced-value")
    assert store.get("svc") == "replaced-value"
    assert store.names() == ["other.key-2", "svc"]
    assert store.known_values() == {"other.key-2": "second-value", "svc": "replaced-value"}
    # The index holds names only.
    text = index.read_text(encoding="utf-8")
    assert "svc" in text
    assert not any(v in text for v in ("first-value", "second-value", "replaced-value"))
    store.delete("svc")
    assert store.names() == ["other.key-2"]
    with pytest.raises(SecretNotFoundError, match="'svc'"):
        store.get("svc")
    with pytest.raises(SecretNotFoundError, match="'svc'"):
        store.delete("svc")


def test_values_live_under_the_quarterdeck_service(index: Path) -> None:
    backend = MemoryKeyring()
    SecretStore(index, backend=backend).set("svc", "value-1234")
    assert backend.values == {(SERVICE, "svc"): "value-1234"}


@pytest.mark.parametrize("name", ["", "has space", "slash/name", "x" * 65, "é"])
def test_invalid_names_are_refused(store: SecretStore, name: str) -> None:
    with pytest.raises(InvalidSecretNameError):
        store.set(name, "value-1234")


def test_an_empty_value_is_refused(store: SecretStore) -> None:
    with pytest.raises(SecretsError, match="empty"):
        store.set("svc", "")
    assert store.names() == []


def test_the_canary_passes_on_a_keeping_backend_and_leaves_nothing(index: Path) -> None:
    backend = MemoryKeyring()
    SecretStore(index, backend=backend).canary()
    assert backend.values == {}
    assert not index.exists()


def test_the_canary_detects_a_backend_that_drops_values(index: Path) -> None:
    store = SecretStore(index, backend=DroppingKeyring())
    with pytest.raises(SecretsUnavailableError, match="lost a canary secret"):
        store.canary()


def _role(**secrets: str) -> RoleConfig:
    return RoleConfig.model_validate(
        {"backend": "acp", "command": "some-agent", "env": {"MODE": "x"}, "secrets": secrets}
    )


def test_a_role_receives_its_granted_secret_as_an_env_variable(store: SecretStore) -> None:
    store.set("svc", "sk-test-1234567890")
    spec = agent_spec("implementer", _role(API_KEY="svc"), secrets=store)
    assert spec.env["API_KEY"] == "sk-test-1234567890"
    assert spec.env["MODE"] == "x"


def test_a_missing_secret_names_the_role_the_variable_and_the_secret(
    store: SecretStore,
) -> None:
    with pytest.raises(SecretNotFoundError) as caught:
        agent_spec("implementer", _role(API_KEY="svc"), secrets=store)
    message = str(caught.value)
    assert "implementer" in message and "API_KEY" in message and "'svc'" in message
    assert "quarterdeck secrets set svc" in message


def test_a_team_naming_secrets_without_a_store_errors(store: SecretStore) -> None:
    with pytest.raises(SecretsError) as caught:
        agent_spec("implementer", _role(API_KEY="svc"))
    message = str(caught.value)
    assert "implementer" in message and "API_KEY" in message and "'svc'" in message


def test_a_role_without_secrets_needs_no_store() -> None:
    spec = agent_spec("implementer", _role())
    assert dict(spec.env) == {"MODE": "x"}
