"""The scrubbed agent environment: allowlist, no secrets unless granted, no venv on PATH."""

from __future__ import annotations

from agents.backends.env import looks_secret, scrub_path, scrubbed_env

PARENT = {
    "PATH": "/venv/bin:/usr/local/bin:/usr/bin",
    "HOME": "/home/u",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TERM": "xterm",
    "VIRTUAL_ENV": "/venv",
    "OPENAI_API_KEY": "sk-1",
    "GITHUB_TOKEN": "ghp",
    "AWS_PROFILE": "prod",
    "EDITOR": "vim",
    "BASH_FUNC_x%%": "() { echo; }",
}


def scrub(**granted: str) -> dict[str, str]:
    return scrubbed_env(granted, parent=PARENT, prefix="/venv", base_prefix="/usr")


def test_only_the_allowlist_passes() -> None:
    env = scrub()
    assert set(env) == {"PATH", "HOME", "LANG", "LC_ALL", "TERM"}


def test_our_virtualenv_leaves_path() -> None:
    assert scrub()["PATH"] == "/usr/local/bin:/usr/bin"


def test_the_venv_stays_when_we_run_without_one() -> None:
    path = "/venv/bin:/usr/bin"
    assert scrub_path(path, prefix="/usr", base_prefix="/usr") == path


def test_granted_variables_win_secrets_included() -> None:
    env = scrub(ANTHROPIC_API_KEY="sk-granted", PATH="/opt/bin")
    assert env["ANTHROPIC_API_KEY"] == "sk-granted"
    assert env["PATH"] == "/opt/bin"
    assert "OPENAI_API_KEY" not in env


def test_secret_looking_names() -> None:
    for name in (
        "OPENAI_API_KEY",
        "my_secret",
        "GH_TOKEN",
        "AWS_REGION",
        "DB_PASSWORD",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "AZURE_X",
        "GITHUB_TOKEN",
    ):
        assert looks_secret(name), name
    for name in ("PATH", "HOME", "LANG", "TERM", "SHELL", "TZ"):
        assert not looks_secret(name), name
