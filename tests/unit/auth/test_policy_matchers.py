"""Command prefix patterns, argument globs and path globs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agents.auth.matchers import (
    ArgGlobs,
    any_glob_matches,
    arg_words,
    compile_pattern,
    expand_glob,
    glob_error,
)

WS = "/w/project"
HOME = "/h/user"


@pytest.mark.parametrize(
    ("pattern", "argv", "consumed"),
    [
        (["git", ["status", "diff"]], ["git", "status", "-s"], 2),
        (["git", ["status", "diff"]], ["git", "diff"], 2),
        (["git", ["status", "diff"]], ["git", "push"], None),
        (["git", ["status", "diff"]], ["git"], None),
        (["*", "--version"], ["node", "--version"], 2),
        (["*", "--version"], ["/tmp/node", "--version"], None),
        (["*", "--version"], ["./build.sh", "--version"], None),
        (["git", "*", "x"], ["git", "anything", "x"], 3),
        (["git", ["*"]], ["git", "status"], None),
        (["git", ["*"]], ["git", "*"], 2),
        (["cat"], ["/tmp/cat", "README.md"], None),
    ],
)
def test_prefix_patterns(
    pattern: list[str | list[str]], argv: list[str], consumed: int | None
) -> None:
    assert compile_pattern(pattern).prefix_len(argv) == consumed


def test_arg_globs_match_single_tokens() -> None:
    globs = ArgGlobs.of(["-f", "--force", "+*"])
    assert globs.matches("--force")
    assert globs.matches("+main")
    assert not globs.matches("--follow")
    assert not globs.matches("main")
    assert not ArgGlobs.of([]).matches("x")


@pytest.mark.parametrize(
    ("program", "args", "words"),
    [
        ("rm", ("-rf", "x"), ("-rf", "x", "-r", "-f")),
        ("git", ("clean", "-xdf"), ("clean", "-xdf", "-x", "-d", "-f")),
        ("ls", ("--all", "-l"), ("--all", "-l")),
        ("find", (".", "-maxdepth", "2"), (".", "-maxdepth", "2")),
    ],
)
def test_short_option_clusters_are_split(
    program: str, args: tuple[str, ...], words: tuple[str, ...]
) -> None:
    assert arg_words(program, args) == words


@pytest.mark.parametrize(
    ("glob", "path", "hit"),
    [
        ("{workspace}/**", WS, True),
        ("{workspace}/**", WS + "/src/app.py", True),
        ("{workspace}/**", "/w/project-other/x", False),
        ("{workspace}", WS, True),
        ("{workspace}", WS + "/x", False),
        ("src/*.py", WS + "/src/app.py", True),
        ("src/*.py", WS + "/src/sub/app.py", False),
        ("src/**/*.py", WS + "/src/app.py", True),
        ("src/**/*.py", WS + "/src/a/b/app.py", True),
        ("~/.ssh/**", HOME + "/.ssh/id_rsa", True),
        ("~/.ssh/**", HOME + "/.sshx", False),
        ("/**/.env", "/.env", True),
        ("/**/.env", WS + "/deep/.env", True),
        ("/**/.env", WS + "/.envrc", False),
        ("/**/.env.*", WS + "/.env.local", True),
        ("/**", "/", True),
        ("/etc/passwd", "/etc/passwd", True),
        ("/proc/*/environ", "/proc/123/environ", True),
        ("/proc/*/environ", "/proc/1/2/environ", False),
        ("/**/id_rsa*", HOME + "/.ssh/id_rsa.pub", True),
        ("/x/[ab]c", "/x/bc", True),
        ("/x/[!ab]c", "/x/bc", False),
        ("/x/file?.txt", "/x/file1.txt", True),
        ("/x/file?.txt", "/x/file/.txt", False),
    ],
)
def test_path_globs(glob: str, path: str, hit: bool) -> None:
    assert glob_error(glob) is None
    assert any_glob_matches([glob], path, workspace=WS, home=HOME) is hit


@pytest.mark.parametrize(
    "glob", ["{workspace}x", "~root/.ssh", "/a/{b,c}", "/a/../b", "{home}/x", "./x"]
)
def test_invalid_globs_are_reported(glob: str) -> None:
    assert glob_error(glob) is not None


def test_expansion_forms() -> None:
    assert expand_glob("{workspace}/a", workspace=WS, home=HOME) == WS + "/a"
    assert expand_glob("~/a", workspace=WS, home=HOME) == HOME + "/a"
    assert expand_glob("a/b", workspace=WS, home=HOME) == WS + "/a/b"
    assert expand_glob("/abs", workspace=WS, home=HOME) == "/abs"


def test_literal_prefix_of_a_glob_is_resolved(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "secret").mkdir(parents=True)
    os.symlink(real, tmp_path / "alias")
    glob = f"{tmp_path}/alias/secret/**"
    target = str(real / "secret" / "key")
    assert any_glob_matches([glob], target, workspace=WS, home=HOME)
