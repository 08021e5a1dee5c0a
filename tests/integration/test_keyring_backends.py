"""Keyring backends chosen with PYTHON_KEYRING_BACKEND, through the real ``quarterdeck``.

null and fail are refused with the fix, plaintext only with the opt-in, and keyrings.alt's
encrypted file backend round-trips secrets and a database key with its password supplied
non-interactively (``getpass`` is patched in the child through a ``sitecustomize`` module, as
the backend only ever prompts). A Secret Service test runs gnome-keyring inside
``dbus-run-session`` when the daemon is installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from keyrings.alt.file import EncryptedKeyring

from agents.secrets.database_keys import KeyVault
from agents.secrets.keyring_store import SecretStore, SecretsUnavailableError
from tests.conftest import QUARTERDECK, run_cli

SECRET = "sk-test-0123456789abcdef-backend"
PASSWORD = "correct horse battery staple"
SITECUSTOMIZE = """
import getpass
import os

getpass.getpass = lambda prompt="Password: ", stream=None: os.environ["QD_TEST_KEYRING_PASSWORD"]
"""


@pytest.mark.parametrize(
    ("backend", "words"),
    [
        ("keyring.backends.null.Keyring", "drops every secret silently"),
        ("keyring.backends.fail.Keyring", "has no keyring"),
        ("keyrings.alt.file.PlaintextKeyring", "QUARTERDECK_INSECURE_KEYRING=1"),
        ("no.such.Backend", "cannot load the keyring backend"),
    ],
)
def test_backends_that_cannot_keep_secrets_are_refused_in_one_line(
    backend: str, words: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", backend)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("QUARTERDECK_INSECURE_KEYRING", raising=False)
    done = run_cli(tmp_path / "q.db", "secrets", "set", "anthropic", stdin=SECRET)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert not (tmp_path / "xdg").exists() or SECRET not in "".join(
        p.read_text(errors="replace") for p in (tmp_path / "xdg").rglob("*") if p.is_file()
    )


def test_plaintext_is_accepted_with_the_opt_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("QUARTERDECK_INSECURE_KEYRING", "1")
    done = run_cli(tmp_path / "q.db", "secrets", "set", "anthropic", stdin=SECRET)
    assert done.returncode == 0, done.stderr
    assert "PlaintextKeyring" in done.stdout
    assert run_cli(tmp_path / "q.db", "secrets", "list").stdout.split() == ["anthropic"]


def test_the_encrypted_file_backend_round_trips_through_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(SITECUSTOMIZE)
    monkeypatch.setenv("PYTHONPATH", str(shim))
    monkeypatch.setenv("QD_TEST_KEYRING_PASSWORD", PASSWORD)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.EncryptedKeyring")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("QUARTERDECK_INSECURE_KEYRING", raising=False)
    db = tmp_path / "q.db"
    done = run_cli(db, "secrets", "set", "anthropic", stdin=SECRET)
    assert done.returncode == 0, done.stderr
    assert "EncryptedKeyring" in done.stdout
    doctor = run_cli(db, "doctor", "--json")
    checks = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert checks["keyring"]["status"] == "ok", checks["keyring"]
    files = [p for p in (tmp_path / "xdg").rglob("*") if p.is_file()]
    assert files and all(SECRET.encode() not in p.read_bytes() for p in files)
    # An encrypted database keeps its key in the same backend.
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "config.toml").write_text("[storage]\nencrypt = true\n")
    fixture = Path(__file__).parents[1] / "fixtures" / "session-basic.jsonl"
    assert run_cli(db, "import", str(fixture)).returncode == 0
    assert run_cli(db, "export", "3f6c").returncode == 0
    assert run_cli(db, "secrets", "rotate-key").returncode == 0


def _encrypted(path: Path, password: str) -> EncryptedKeyring:
    backend = EncryptedKeyring()
    backend.file_path = str(path)  # type: ignore[misc]
    backend.keyring_key = password  # type: ignore[misc]
    return backend


def test_the_encrypted_file_backend_needs_its_password(tmp_path: Path) -> None:
    file = tmp_path / "crypted_pass.cfg"
    store = SecretStore(tmp_path / "secrets.json", backend=_encrypted(file, PASSWORD))
    store.set("anthropic", SECRET)
    vault = KeyVault(backend=_encrypted(file, PASSWORD))
    vault.put("db1", 1, b"k" * 32)
    reopened = SecretStore(tmp_path / "secrets.json", backend=_encrypted(file, PASSWORD))
    assert reopened.get("anthropic") == SECRET
    assert KeyVault(backend=_encrypted(file, PASSWORD)).get("db1", 1) == b"k" * 32
    assert SECRET.encode() not in file.read_bytes()
    wrong = SecretStore(tmp_path / "secrets.json", backend=_encrypted(file, "wrong password"))
    with pytest.raises(SecretsUnavailableError, match="wrong password"):
        wrong.get("anthropic")
    with pytest.raises(SecretsUnavailableError, match="wrong password"):
        KeyVault(backend=_encrypted(file, "wrong password")).get("db1", 1)


GNOME = shutil.which("gnome-keyring-daemon")
DBUS = shutil.which("dbus-run-session")


@pytest.mark.skipif(
    GNOME is None or DBUS is None,
    reason="gnome-keyring-daemon or dbus-run-session is not installed (apt-get install"
    " gnome-keyring dbus)",
)
def test_secret_service_in_a_private_dbus_session(tmp_path: Path) -> None:
    script = (
        "echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null"
        f" && printf %s {SECRET} | {QUARTERDECK} --db {tmp_path / 'q.db'} secrets set anthropic"
        f" && {QUARTERDECK} --db {tmp_path / 'q.db'} secrets list"
    )
    dropped = ("PYTHON_KEYRING_BACKEND", "QUARTERDECK_INSECURE_KEYRING", "DBUS_SESSION_BUS_ADDRESS")
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.SecretService.Keyring"
    env["HOME"] = str(tmp_path / "home")
    env["XDG_DATA_HOME"] = str(tmp_path / "home" / ".local" / "share")
    env["XDG_RUNTIME_DIR"] = str(tmp_path / "run")
    (tmp_path / "run").mkdir(mode=0o700)
    done = subprocess.run(
        [str(DBUS), "--", "sh", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "stored secret anthropic in keyring.backends.SecretService.Keyring" in done.stdout
    assert done.stdout.strip().endswith("anthropic")
