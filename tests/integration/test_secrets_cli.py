"""``quarterdeck secrets`` end to end, on a file-backed test keyring the subprocess loads.

The keyring must outlive each ``quarterdeck`` process, so the test writes a tiny backend
module into a temp dir and selects it with ``PYTHON_KEYRING_BACKEND`` (its ``PYTHONPATH``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli

BACKEND_MODULE = '''
"""A keyring test double: values in a JSON file named by QD_TEST_KEYRING_FILE."""
import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class FileKeyring(KeyringBackend):
    priority = 1

    def _load(self):
        path = Path(os.environ["QD_TEST_KEYRING_FILE"])
        return json.loads(path.read_text()) if path.exists() else {}

    def _save(self, data):
        Path(os.environ["QD_TEST_KEYRING_FILE"]).write_text(json.dumps(data))

    def get_password(self, service, username):
        return self._load().get(f"{service}/{username}")

    def set_password(self, service, username, password):
        data = self._load()
        data[f"{service}/{username}"] = password
        self._save(data)

    def delete_password(self, service, username):
        data = self._load()
        if data.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError(username)
        self._save(data)
'''

SECRET = "sk-live-0123456789abcdef"


@pytest.fixture
def keyring_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Select the file-backed test keyring for every ``quarterdeck`` this test runs."""
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "qd_test_keyring.py").write_text(BACKEND_MODULE, encoding="utf-8")
    store = tmp_path / "keyring.json"
    monkeypatch.setenv("PYTHONPATH", str(modules))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "qd_test_keyring.FileKeyring")
    monkeypatch.setenv("QD_TEST_KEYRING_FILE", str(store))
    return store


def test_set_reads_stdin_list_shows_names_and_rm_removes(
    tmp_path: Path, keyring_file: Path, isolated_dirs: Path
) -> None:
    db = tmp_path / "q.db"
    args = ("secrets", "set", "anthropic")
    done = run_cli(db, *args, stdin=SECRET + "\n")
    assert done.returncode == 0, done.stderr
    assert SECRET not in " ".join(args)  # the value never travels in argv
    assert SECRET not in done.stdout + done.stderr  # nor is it echoed
    assert "stored secret anthropic" in done.stdout
    assert json.loads(keyring_file.read_text()) == {"quarterdeck/anthropic": SECRET}

    assert run_cli(db, "secrets", "set", "github", stdin="ghp-other-value").returncode == 0
    listed = run_cli(db, "secrets", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == ["anthropic", "github"]
    assert SECRET not in listed.stdout and "ghp-other-value" not in listed.stdout
    index = (isolated_dirs / "secrets.json").read_text(encoding="utf-8")
    assert SECRET not in index and "anthropic" in index

    removed = run_cli(db, "secrets", "rm", "anthropic")
    assert removed.returncode == 0, removed.stderr
    assert run_cli(db, "secrets", "list").stdout.splitlines() == ["github"]
    assert "quarterdeck/anthropic" not in json.loads(keyring_file.read_text())


def test_a_value_on_the_command_line_is_a_usage_error(tmp_path: Path, keyring_file: Path) -> None:
    done = run_cli(tmp_path / "q.db", "secrets", "set", "anthropic", SECRET)
    assert done.returncode == 2
    assert not keyring_file.exists()


def test_an_empty_value_is_refused(tmp_path: Path, keyring_file: Path) -> None:
    done = run_cli(tmp_path / "q.db", "secrets", "set", "anthropic", stdin="\n")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "quarterdeck: error: empty value: nothing stored for secret 'anthropic'"
    ]


def test_removing_a_missing_secret_fails_in_one_line(tmp_path: Path, keyring_file: Path) -> None:
    done = run_cli(tmp_path / "q.db", "secrets", "rm", "nope")
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and "'nope'" in done.stderr


def test_the_null_backend_is_refused_in_one_line_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    done = run_cli(tmp_path / "q.db", "secrets", "set", "anthropic", stdin=SECRET)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "gnome-keyring" in lines[0] and "EncryptedKeyring" in lines[0]
    assert SECRET not in done.stdout + done.stderr


def test_doctor_round_trips_a_canary_on_an_allowed_backend(
    tmp_path: Path, keyring_file: Path
) -> None:
    done = run_cli(tmp_path / "q.db", "doctor", "--json")
    checks = {c["name"]: c for c in json.loads(done.stdout)["checks"]}
    assert checks["keyring"]["status"] == "ok", checks["keyring"]
    assert "canary" in checks["keyring"]["detail"]
    assert json.loads(keyring_file.read_text()) == {}  # the canary was deleted


def test_doctor_warns_about_the_null_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    done = run_cli(tmp_path / "q.db", "doctor", "--json")
    checks = {c["name"]: c for c in json.loads(done.stdout)["checks"]}
    assert checks["keyring"]["status"] == "warn"
    assert "gnome-keyring" in checks["keyring"]["detail"]
