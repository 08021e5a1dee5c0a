"""The bubblewrap command line: what is bound how, in which order."""

from __future__ import annotations

from pathlib import Path

from agents.sandbox.argv import Mounts, bwrap_argv

WS = Path("/work/project")


def _pairs(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv) if a == flag]


def test_the_root_is_read_only_and_the_workspace_and_state_dirs_writable() -> None:
    mounts = Mounts(workspace=WS, writable=(Path("/home/u/.gemini"),))
    argv = bwrap_argv("/usr/bin/bwrap", mounts, cwd=WS, argv=["agent", "--acp"])
    assert argv[0] == "/usr/bin/bwrap"
    assert argv[argv.index("--ro-bind") : argv.index("--ro-bind") + 3] == ["--ro-bind", "/", "/"]
    assert _pairs(argv, "--bind") == [str(WS), "/home/u/.gemini"]
    assert {"--die-with-parent", "--unshare-pid", "--as-pid-1"} <= set(argv)
    assert _pairs(argv, "--dev") == ["/dev"] and _pairs(argv, "--proc") == ["/proc"]
    assert argv[-3:] == ["--", "agent", "--acp"]
    assert argv[argv.index("--chdir") + 1] == str(WS)
    assert argv[argv.index("--setenv") + 1 : argv.index("--setenv") + 3] == ["TMPDIR", "/tmp"]


def test_tmp_is_private_and_secrets_are_hidden_dirs_by_tmpfs_files_by_an_empty_file() -> None:
    mounts = Mounts(
        workspace=WS,
        hidden_dirs=(Path("/home/u/.ssh"),),
        hidden_files=(Path("/home/u/.netrc"),),
        empty_file=Path("/data/sandbox/empty"),
    )
    argv = bwrap_argv("bwrap", mounts, cwd=WS, argv=["a"])
    assert _pairs(argv, "--tmpfs") == ["/tmp", "/home/u/.ssh"]
    at = argv.index("/home/u/.netrc")
    assert argv[at - 2 : at] == ["--ro-bind", "/data/sandbox/empty"]


def test_the_network_is_unshared_only_when_off() -> None:
    on = bwrap_argv("bwrap", Mounts(workspace=WS), cwd=WS, argv=["a"])
    off = bwrap_argv("bwrap", Mounts(workspace=WS, network=False), cwd=WS, argv=["a"])
    assert "--unshare-net" not in on and "--unshare-net" in off


def test_deeper_mounts_come_later_and_hiding_wins_a_tie() -> None:
    # A workspace in /tmp is bound back over the private /tmp; a secret inside the workspace
    # stays hidden; at equal depth the hiding mount is applied after the bind.
    ws = Path("/tmp/x/ws")
    mounts = Mounts(
        workspace=ws,
        writable=(Path("/home/u/.cfg"),),
        hidden_dirs=(Path("/tmp/x/ws/.qd"), Path("/home/u/.aws")),
    )
    argv = bwrap_argv("bwrap", mounts, cwd=ws, argv=["a"])
    order = [argv[i + 1] for i, a in enumerate(argv) if a in ("--tmpfs", "--bind")]
    assert order == ["/tmp", "/tmp/x/ws", "/home/u/.cfg", "/home/u/.aws", "/tmp/x/ws/.qd"]


def test_the_command_is_never_read_as_bwrap_options() -> None:
    argv = bwrap_argv("bwrap", Mounts(workspace=WS), cwd=WS, argv=["--bind", "/", "/"])
    assert argv[-4:] == ["--", "--bind", "/", "/"]


def test_readable_paths_are_bound_back_read_only() -> None:
    mounts = Mounts(workspace=WS, readable=(Path("/tmp/venv"),))
    argv = bwrap_argv("bwrap", mounts, cwd=WS, argv=["a"])
    at = argv.index("/tmp/venv")
    assert argv[at - 1] == "--ro-bind" and argv[at + 1] == "/tmp/venv"
    assert argv.index("/tmp/venv") > argv.index("/tmp")  # after the private /tmp
