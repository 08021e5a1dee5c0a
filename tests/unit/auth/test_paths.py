"""Path resolution (symlinks, bypass class 9) and the paths a command touches."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agents.auth.paths import command_paths, is_within, resolve
from agents.auth.shell import analyze


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A workspace with an `outside` sibling; both resolved (tmp may itself be a symlink)."""
    (tmp_path / "ws").mkdir()
    (tmp_path / "outside").mkdir()
    return (tmp_path / "ws").resolve()


def outside(ws: Path) -> Path:
    return ws.parent / "outside"


def test_relative_paths_join_cwd(ws: Path) -> None:
    assert resolve("a/b/../c", cwd=ws) == ws / "a" / "c"
    assert resolve("/etc/../etc", cwd=ws) == Path(os.path.realpath("/etc"))


def test_tilde_expands_to_the_given_home(ws: Path) -> None:
    assert resolve("~", cwd=Path("/"), home=ws) == ws
    assert resolve("~/notes.txt", cwd=Path("/"), home=ws) == ws / "notes.txt"


def test_link_inside_workspace_pointing_outside_resolves_outside(ws: Path) -> None:
    (outside(ws) / "secret").write_text("x")
    (ws / "link").symlink_to(outside(ws))
    resolved = resolve("link/secret", cwd=ws)
    assert resolved == outside(ws) / "secret"
    assert not is_within(resolved, ws)


def test_final_component_link_is_followed(ws: Path) -> None:
    (outside(ws) / "target").write_text("x")
    (ws / "innocent.txt").symlink_to(outside(ws) / "target")
    assert resolve("innocent.txt", cwd=ws) == outside(ws) / "target"


def test_dangling_final_link_resolves_to_its_target(ws: Path) -> None:
    (ws / "dangling").symlink_to(outside(ws) / "not-yet")
    resolved = resolve("dangling", cwd=ws)
    assert resolved == outside(ws) / "not-yet"
    assert not resolved.exists()
    assert not is_within(resolved, ws)


def test_dangling_chain_with_relative_target_is_followed(ws: Path) -> None:
    (ws / "hop").symlink_to("../outside/missing")
    (ws / "start").symlink_to("hop")
    assert resolve("start", cwd=ws) == outside(ws) / "missing"


def test_dotdot_after_a_link_is_taken_from_the_link_target(ws: Path) -> None:
    (outside(ws) / "deep").mkdir()
    (ws / "link").symlink_to(outside(ws) / "deep")
    assert resolve("link/..", cwd=ws) == outside(ws)


@pytest.mark.parametrize("path", ["a", "a/x", "b/../a", "self"])
def test_link_loops_do_not_raise(ws: Path, path: str) -> None:
    (ws / "a").symlink_to("b")
    (ws / "b").symlink_to("a")
    (ws / "self").symlink_to("self")
    resolved = resolve(path, cwd=ws)
    assert isinstance(resolved, Path)
    assert resolved.is_absolute()


def test_text_after_nul_never_reaches_the_kernel(ws: Path) -> None:
    assert resolve("a\0/../../etc", cwd=ws) == ws / "a"


@pytest.mark.parametrize(
    ("path", "root", "inside"),
    [
        ("/ws", "/ws", True),
        ("/ws/a/b", "/ws", True),
        ("/ws2", "/ws", False),
        ("/ws2/a", "/ws", False),
        ("/w", "/ws", False),
        ("/", "/ws", False),
        ("/anything", "/", True),
    ],
)
def test_is_within_compares_components(path: str, root: str, inside: bool) -> None:
    assert is_within(Path(path), Path(root)) is inside


@pytest.mark.parametrize(
    ("command", "paths"),
    [
        ("rm -rf a b", [("a", True), ("b", True)]),
        ("rmdir d", [("d", True)]),
        ("mv a b", [("a", True), ("b", True)]),
        ("cp -r src dst", [("src", False), ("dst", True)]),
        ("cp -t dir a b", [("dir", True), ("a", False), ("b", False)]),
        ("ln -s target link", [("target", False), ("link", True)]),
        ("install -m 755 bin /usr/local/bin/x", [("bin", False), ("/usr/local/bin/x", True)]),
        ("touch -r ref f", [("ref", False), ("f", True)]),
        ("mkdir -p -m 755 d", [("d", True)]),
        ("chmod -R 755 f", [("f", True)]),
        ("chown user:group f", [("f", True)]),
        ("tee -a log", [("log", True)]),
        ("truncate -s 0 f", [("f", True)]),
        ("dd if=/dev/zero of=disk bs=1M", [("disk", True), ("/dev/zero", False)]),
        ("sed -i 's/a/b/' f g", [("f", True), ("g", True)]),
        ("sed -i.bak -e 's/a/b/' f", [("f", True)]),
        ("sed 's/a/b/' f", [("f", False)]),
        ("cat a b", [("a", False), ("b", False)]),
        ("head -n 5 f", [("f", False)]),
        ("tail -f log", [("log", False)]),
        ("less f", [("f", False)]),
        ("wc -l f", [("f", False)]),
        ("ls -la d", [("d", False)]),
        ("diff a b", [("a", False), ("b", False)]),
        ("stat -c %s f", [("f", False)]),
        ("file f", [("f", False)]),
        ("grep -rn foo src", [("src", False)]),
        ("grep -e foo -f pats src", [("pats", False), ("src", False)]),
        ("rg -n foo src", [("src", False)]),
        ("find src -name '*.py'", [("src", False)]),
        ("find -L a b -type f", [("a", False), ("b", False)]),
        ("find -name x", [(".", False)]),
        ("curl -o out https://x", [("out", True)]),
        ("wget -O out https://x", [("out", True)]),
        ("cat a > b 2>&1", [("b", True), ("a", False)]),
        ("echo hi >> log < in", [("log", True), ("in", False)]),
        ("cat <<< text", []),
        ("sort f", []),
        ("sudo rm /etc/x", [("/etc/x", True)]),
    ],
)
def test_command_paths(command: str, paths: list[tuple[str, bool]]) -> None:
    cmd = analyze(command).commands[0]
    assert list(command_paths(cmd)) == paths
