"""A command gets the same verdict however an agent wraps it in a shell.

fast-agent asks permission for `LINE` (its `execute` tool's raw input) and then sends
`terminal/create` with command `/bin/sh` and args `["-lc", LINE]`; other agents send the full
line as the command with no args. The gate must judge all three shapes alike, while a script it
cannot read (built at run time, a file, stdin) stays at least "ask".
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from agents.auth.engine import decide
from agents.auth.loader import default_policy
from agents.auth.requests import Decision, ToolKind, ToolRequest, Verdict
from agents.auth.shell_unwrap import script_of
from agents.backends.effects import gated_line

SCRIPTS = [
    "grep -rn foo src | head",
    "git status --short && git diff --stat",
    "cd src && ls -la",
    "pytest -q 2>&1 | tail -20",
    "cat README.md",
    "rm -rf build",
    "curl -s https://example.com",
    "git push --force",
    "cat ~/.ssh/id_rsa",
    "ls &",
    "echo $HOME",
    "python -c 'print(1)'",
    "sudo ls",
    "sed -i 's/a/b/' src/app.py",
]
#: (command, args) as agents send them to `terminal/create`, for a script S.
SHAPES = [
    ("/bin/sh", ["-lc", "{S}"]),
    ("sh", ["-c", "{S}"]),
    ("/bin/bash", ["-lc", "{S}"]),
    ("bash", ["-c", "{S}"]),
    ("/usr/bin/dash", ["-c", "{S}"]),
    ("zsh", ["-c", "{S}"]),
    ("env", ["sh", "-c", "{S}"]),
    ("/usr/bin/env", ["bash", "-lc", "{S}"]),
    ("bash", ["-e", "-o", "pipefail", "-c", "{S}"]),
    ("bash", ["--noprofile", "--norc", "-euc", "{S}"]),
    ("sh", ["-c", "--", "{S}"]),
    ("sh", ["-c", "bash -lc {Q}"]),
]


@dataclass(frozen=True)
class Env:
    """A temporary workspace and home."""

    workspace: Path
    home: Path

    def run(self, command: str) -> Verdict:
        request = ToolRequest(
            tool=ToolKind.EXECUTE, role="implementer", workspace=self.workspace, command=command
        )
        return decide(default_policy(), request, home=self.home)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    root = tmp_path_factory.mktemp("wrapped")
    (root / "ws" / "src").mkdir(parents=True)
    (root / "ws" / "build").mkdir()
    (root / "ws" / "README.md").write_text("# x\n")
    (root / "home" / ".ssh").mkdir(parents=True)
    (root / "home" / ".ssh" / "id_rsa").write_text("KEY\n")
    return Env((root / "ws").resolve(), (root / "home").resolve())


def _triple(verdict: Verdict) -> tuple[Decision, str | None, str]:
    return verdict.decision, verdict.rule_id, verdict.reason


def test_fast_agents_two_shapes_reach_the_gate_as_the_same_command(env: Env) -> None:
    line = "grep -rn foo src | head"
    permission = env.run(line)  # the permission request's raw input
    wrapped = env.run(gated_line("/bin/sh", ["-lc", line], {}))
    whole = env.run(gated_line(line, [], {}))
    assert permission.decision is Decision.ALLOW
    assert _triple(wrapped) == _triple(permission) == _triple(whole)


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize(("command", "args"), SHAPES)
def test_a_literal_script_is_judged_as_the_script(
    env: Env, script: str, command: str, args: list[str]
) -> None:
    filled = [a.replace("{S}", script).replace("{Q}", shlex.quote(script)) for a in args]
    wrapped = env.run(gated_line(command, filled, {}))
    if command == "zsh" and "(" in script:  # not unwrapped: zsh glob qualifiers run code
        assert wrapped.decision is not Decision.ALLOW
        return
    assert _triple(wrapped) == _triple(env.run(script))


def test_the_full_line_shape_is_unwrapped_too(env: Env) -> None:
    plain = env.run("git log --oneline -5")
    assert _triple(env.run("/bin/sh -lc 'git log --oneline -5'")) == _triple(plain)
    assert _triple(env.run("""sh -c "bash -lc 'git log --oneline -5'" """)) == _triple(plain)


def test_variables_set_around_the_shell_still_count(env: Env) -> None:
    assert env.run(gated_line("/bin/sh", ["-lc", "ls"], {"CI": "1"})).allowed
    assert env.run(gated_line("/bin/sh", ["-lc", "ls"], {"FOO": "1"})).decision is Decision.ASK
    path = env.run(gated_line("/bin/sh", ["-lc", "ls"], {"PATH": "/tmp"}))
    assert path.decision is Decision.DENY
    assert env.run("env LD_PRELOAD=/tmp/x.so sh -c 'ls'").decision is Decision.DENY


@pytest.mark.parametrize(
    "line",
    [
        'sh -c "$X"',
        'sh -c "$(cat cmd.txt)"',
        "sh -c `cat cmd.txt`",
        "sh -c $'ls'",
        "sh -c ls*",
        "sh script.sh",
        "sh",
        "bash -s",
        "bash -",
        "echo ls | sh",
        "sh -c 'ls' name",
        "sh -c 'ls $1' x /etc",
        "bash -i -c 'ls'",
        "bash -O extglob -c 'ls'",
        "bash --rcfile x.sh -c 'ls'",
        "bash -o posix -c 'ls'",
        "bash +e -c 'ls'",
        "sh -c 'ls' > out.txt",
        "sh -c 'ls' | cat",
        "sh -c 'ls' # note",
        "fish -c 'ls'",
        "ksh -c 'ls'",
        "zsh -c 'ls *(e:rm -rf ~:)'",
        "zsh -c 'ls =(id)'",
        "sudo sh -c 'ls'",
        "xargs sh -c 'ls'",
        "env -C /tmp sh -c 'ls'",
        "env -S 'sh -c ls'",
        "X=$(id) sh -c 'ls'",
        "./sh -c 'ls'",
        "/tmp/sh -c 'ls'",
        "sh -c",
        "sh -c 'sh -c \"$X\"'",
    ],
)
def test_a_script_that_cannot_be_read_stays_asked(env: Env, line: str) -> None:
    assert env.run(line).decision is not Decision.ALLOW


@pytest.mark.parametrize(
    ("line", "script"),
    [
        ("/bin/sh -lc 'ls'", "ls"),
        ("bash -euo pipefail -c 'ls | wc -l'", "ls | wc -l"),
        ("sh -c \"bash -lc 'git status'\"", "git status"),
        ("sh -c 'a'\"'\"'b'", "a'b"),
        ("nice -n 5 sh -c 'ls'", "ls"),
        ("sh -c 'ls' name", "sh -c 'ls' name"),
        ("timeout 5 sh -c 'ls'", "ls"),
        ('sh -c "echo \\$HOME"', "echo $HOME"),
    ],
)
def test_script_of(line: str, script: str) -> None:
    assert script_of(line).text == script


def test_peeling_stops_after_a_few_layers() -> None:
    line = "ls"
    for _ in range(6):
        line = shlex.join(["sh", "-c", line])
    assert script_of(line).layers == 4


def test_a_huge_line_is_not_parsed_twice() -> None:
    line = "sh -c 'ls " + "x " * 40_000 + "'"
    assert script_of(line).text == line
