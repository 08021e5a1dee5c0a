"""Confining one agent: bubblewrap when it works, a visible warning or error when it does not."""

from __future__ import annotations

import stat
import tempfile
from pathlib import Path

import pytest

from agents.sandbox.host import SandboxHost
from agents.sandbox.plan import linked_repository
from agents.sandbox.probe import Probe, probe_bwrap
from agents.team import SandboxSettings, Team
from tests.unit.worktrees.support import git_config, make_repo, sh

WORKING = Probe(
    available=True, path="/usr/bin/bwrap", version="bubblewrap 0.8.0", network_isolation=True
)
MISSING = Probe(available=False, reason="bubblewrap (bwrap) is not on PATH: install it")


def _host(tmp_path: Path, probe: Probe) -> SandboxHost:
    return SandboxHost(
        secret_globs=lambda: ("~/.ssh/**",), scratch=tmp_path / "scratch", probe=lambda: probe
    )


def test_auto_confines_with_bwrap_and_records_how(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    home = tmp_path / "home"
    home.mkdir()
    confinement = _host(tmp_path, WORKING).confine(
        SandboxSettings(network="off"), workspace=tmp_path / "ws", env={"HOME": str(home)}
    )
    assert confinement.kind == "bwrap" and confinement.error is None
    argv = confinement.wrap(["agent"], tmp_path / "ws")
    assert argv[0] == "/usr/bin/bwrap" and "--unshare-net" in argv and argv[-1] == "agent"
    info = confinement.info()
    assert (info.kind, info.network) == ("bwrap", "off")
    assert info.writable == [str((tmp_path / "ws").resolve())]
    empty = tmp_path / "scratch" / "empty"
    assert empty.read_bytes() == b"" and not empty.stat().st_mode & stat.S_IWUSR


def test_auto_without_bubblewrap_runs_unconfined_with_a_warning(tmp_path: Path) -> None:
    confinement = _host(tmp_path, MISSING).confine(SandboxSettings(), workspace=tmp_path, env={})
    assert confinement.kind == "none" and confinement.error is None
    assert confinement.warning is not None and "WITHOUT a sandbox" in confinement.warning
    assert confinement.wrap(["agent", "x"], tmp_path) == ["agent", "x"]
    assert confinement.info().reason == MISSING.reason


def test_bwrap_demanded_but_missing_is_an_error_that_stops_the_agent(tmp_path: Path) -> None:
    confinement = _host(tmp_path, MISSING).confine(
        SandboxSettings(kind="bwrap"), workspace=tmp_path, env={}
    )
    assert confinement.error == f'sandbox = "bwrap": {MISSING.reason}'


def test_network_off_where_it_cannot_be_unshared_is_never_silently_on(tmp_path: Path) -> None:
    leaky = Probe(available=True, path="/usr/bin/bwrap", network_isolation=False)
    auto = _host(tmp_path, leaky).confine(
        SandboxSettings(network="off"), workspace=tmp_path, env={}
    )
    assert auto.kind == "none" and auto.warning is not None and "network" in auto.warning
    strict = _host(tmp_path, leaky).confine(
        SandboxSettings(kind="bwrap", network="off"), workspace=tmp_path, env={}
    )
    assert strict.error is not None


def test_none_is_unconfined_on_purpose_without_a_warning(tmp_path: Path) -> None:
    confinement = _host(tmp_path, WORKING).confine(
        SandboxSettings(kind="none"), workspace=tmp_path, env={}
    )
    assert (confinement.kind, confinement.warning, confinement.error) == ("none", None, None)


def test_a_roles_settings_override_the_teams() -> None:
    team = Team.model_validate(
        {
            "sandbox": {"kind": "bwrap", "network": "off", "state_dirs": ["~/.a"]},
            "roles": {
                "implementer": {
                    "backend": "acp",
                    "command": "agent",
                    "network": "on",
                    "state_dirs": ["~/.b"],
                },
                "reviewer": {"backend": "acp", "command": "agent", "sandbox": "none"},
            },
        }
    )
    implementer = team.sandbox_for("implementer")
    assert (implementer.kind, implementer.network) == ("bwrap", "on")
    assert implementer.state_dirs == ["~/.a", "~/.b"]
    assert team.sandbox_for("reviewer").kind == "none"


def test_the_probe_names_the_fix_when_bwrap_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    probe = probe_bwrap()
    assert not probe.available and "apt-get install bubblewrap" in probe.reason


def test_the_probe_passes_its_self_test_here() -> None:
    """bubblewrap is required where the tests run (.ci/run installs it): fail, never skip."""
    probe = probe_bwrap()
    assert probe.available, probe.reason
    assert probe.version is not None and probe.version.startswith("bubblewrap")


def test_a_linked_worktrees_repository_is_readable_even_under_tmp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git_config(tmp_path, monkeypatch)
    with tempfile.TemporaryDirectory(dir="/tmp") as name:
        root = Path(name).resolve()
        repo = make_repo(root / "repo")
        sh(repo, "worktree", "add", "--quiet", "-b", "side", str(root / "wt"))
        (root / "wt" / "sub").mkdir()
        assert linked_repository(root / "wt" / "sub") == repo / ".git"
        assert linked_repository(repo) is None  # the main checkout: its .git is a directory
        assert linked_repository(root) is None
        confinement = _host(tmp_path, WORKING).confine(
            SandboxSettings(), workspace=root / "wt", env={"HOME": str(tmp_path)}
        )
    assert confinement.mounts is not None
    # Read-only: the agent runs `git diff`, and can never rewrite the repository's refs or hooks.
    assert repo / ".git" in confinement.mounts.readable
    assert repo / ".git" not in confinement.mounts.writable
