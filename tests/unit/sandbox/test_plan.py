"""Which paths a confined agent writes and which it never sees."""

from __future__ import annotations

import tempfile
from pathlib import Path

from agents.auth.loader import default_policy
from agents.sandbox.plan import known_state, mount_target, plan_mounts, secret_globs

HOME = Path("/home/u")


def test_the_default_policys_secret_paths_are_the_ones_hidden() -> None:
    globs = secret_globs(default_policy())
    for expected in ("~/.ssh/**", "~/.aws/**", "~/.config/gcloud/**", "~/.netrc", "/etc/shadow"):
        assert expected in globs
    assert "~/.local/share/quarterdeck/**" in globs  # [settings] protected_paths
    assert "{workspace}/.claude/**" not in globs  # agent config: asked, not a secret


def test_only_globs_a_mount_can_express_have_a_target() -> None:
    assert mount_target("~/.ssh/**", HOME) == HOME / ".ssh"
    assert mount_target("~/.netrc", HOME) == HOME / ".netrc"
    assert mount_target("/etc/shadow", HOME) == Path("/etc/shadow")
    for glob in ("/**/.env", "/**/id_rsa*", "/proc/*/environ", "{workspace}/.env", "src/**"):
        assert mount_target(glob, HOME) is None


def test_known_state_by_the_agents_command() -> None:
    assert "~/.gemini/" in known_state("/usr/lib/node_modules/.bin/gemini")
    assert "~/.claude.json" in known_state("claude-agent-acp")
    assert known_state("fast-agent") == ()


def _plan(tmp_path: Path, **overrides: object) -> object:
    args: dict[str, object] = {
        "workspace": tmp_path / "ws",
        "globs": ("~/.ssh/**", "~/.netrc", "~/.aws/**"),
        "protected": (tmp_path / "qd-data",),
        "homes": (tmp_path / "home",),
        "agent_home": tmp_path / "home",
        "state_dirs": (),
        "network": True,
        "empty_file": tmp_path / "empty",
    }
    args.update(overrides)
    return plan_mounts(**args)  # type: ignore[arg-type]


def test_existing_secrets_are_hidden_under_every_home_and_missing_ones_skipped(
    outside_tmp: Path,
) -> None:
    root = outside_tmp
    home, other = root / "home", root / "team-home"
    for h in (home, other):
        (h / ".ssh").mkdir(parents=True)
    (home / ".netrc").write_text("machine x")
    (root / "ws").mkdir()
    (root / "qd-data").mkdir()
    plan = _plan(root, homes=(home, other))
    mounts = plan.mounts  # type: ignore[attr-defined]
    assert set(mounts.hidden_dirs) == {home / ".ssh", other / ".ssh", root / "qd-data"}
    assert mounts.hidden_files == (home / ".netrc",)  # no ~/.aws: nothing to hide, no mount


def test_under_the_private_tmp_only_what_is_bound_back_needs_hiding() -> None:
    with tempfile.TemporaryDirectory(dir="/tmp") as name:
        root = Path(name).resolve()
        (root / "home" / ".ssh").mkdir(parents=True)
        (root / "ws").mkdir()
        mounts = _plan(root).mounts  # type: ignore[attr-defined]
    assert mounts.hidden_dirs == () and mounts.hidden_files == ()


def test_hidden_paths_under_a_bind_in_tmp_stay_hidden(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / ".qd").mkdir(parents=True)
    plan = _plan(tmp_path, workspace=ws, protected=(ws / ".qd",))
    assert plan.mounts.hidden_dirs == (ws.resolve() / ".qd",)  # type: ignore[attr-defined]


def test_state_dirs_are_created_bound_and_refused_when_a_secret_covers_them(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".tool.json").write_text("{}")
    (tmp_path / "ws").mkdir()
    plan = _plan(
        tmp_path,
        state_dirs=("~/.gemini/", "~/.tool.json", "~/.absent.json", "~/.aws/cli/"),
    )
    mounts = plan.mounts  # type: ignore[attr-defined]
    assert (home / ".gemini").is_dir()  # created, as the agent would have done
    assert mounts.writable == ((home / ".gemini").resolve(), (home / ".tool.json").resolve())
    assert not (home / ".aws" / "cli").exists()  # never created inside a hidden path
    assert plan.refused == ()  # type: ignore[attr-defined]
    (home / ".aws" / "cli").mkdir()
    again = _plan(tmp_path, state_dirs=("~/.aws/cli/",))
    assert again.refused == ((home / ".aws" / "cli").resolve(),)  # type: ignore[attr-defined]
    assert again.mounts.writable == ()  # type: ignore[attr-defined]


def test_what_the_agent_runs_from_under_tmp_is_bound_back_read_only() -> None:
    with tempfile.TemporaryDirectory(dir="/tmp") as name:
        root = Path(name).resolve()
        (root / "ws").mkdir()
        (root / "venv" / "bin").mkdir(parents=True)
        playbook = root / "play.toml"
        playbook.write_text("")
        (root / "ws" / "x").write_text("")
        outside = Path("/usr")
        mounts = _plan(
            root, keep=(playbook, root / "venv", root / "ws" / "x", outside, root / "gone")
        ).mounts  # type: ignore[attr-defined]
    # Only what lies under the private /tmp needs it, and not what the workspace bind covers.
    assert mounts.readable == (root / "play.toml", root / "venv")


def test_an_npm_or_venv_program_under_tmp_brings_its_tree() -> None:
    with tempfile.TemporaryDirectory(dir="/tmp") as name:
        root = Path(name).resolve()
        (root / "ws").mkdir()
        bin_dir = root / "npm" / "node_modules" / ".bin"
        package = root / "npm" / "node_modules" / "@g" / "cli" / "dist"
        bin_dir.mkdir(parents=True)
        package.mkdir(parents=True)
        (package / "index.js").write_text("")
        (bin_dir / "cli").symlink_to(package / "index.js")
        venv = root / "venv"
        (venv / "bin").mkdir(parents=True)
        (venv / "pyvenv.cfg").write_text("")
        (venv / "bin" / "agent").write_text("")
        mounts = _plan(root, keep=(bin_dir / "cli", venv / "bin" / "agent")).mounts  # type: ignore[attr-defined]
    # The .bin link resolves into a package that needs its siblings: the whole node_modules.
    assert root / "npm" / "node_modules" in mounts.readable
    assert venv in mounts.readable
    assert root not in mounts.readable
