"""Fuzzing the loader and the engine: only PolicyError escapes; unparsed shell is never allowed."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.auth.engine import decide
from agents.auth.issues import PolicyError
from agents.auth.loader import default_policy, load_policy_text
from agents.auth.parts import cached_analysis
from agents.auth.requests import Decision, ToolKind, ToolRequest

WORKSPACE = Path("/quarterdeck-fuzz/ws")
HOME = Path("/quarterdeck-fuzz/home")

# Lines that are each valid TOML somewhere, so random sequences reach the schema and the
# examples instead of dying in the TOML parser every time.
POLICY_LINES = [
    "[[rules]]",
    "[roles.implementer]",
    "[roles.x]",
    "[settings]",
    "[command_sets]",
    "[path_sets]",
    'id = "r"',
    'id = "r2"',
    "id = 3",
    'decision = "allow"',
    'decision = "deny"',
    'decision = "sometimes"',
    'tools = ["read", "execute"]',
    'tools = ["shell"]',
    "tools = []",
    'commands = [["git", ["status", "diff"]]]',
    'commands = ["@s"]',
    'commands = ["git status"]',
    "commands = [[]]",
    'with_args = ["-f"]',
    "only_args = []",
    'paths = ["{workspace}/**"]',
    'paths = ["~root/x", "{x}/a"]',
    'paths = ["@p"]',
    'roles = ["implementer"]',
    'roles = ["ghost"]',
    'match = ["git status"]',
    'match = [{ tool = "read", path = "a" }]',
    'match = [{ tool = "read", command = "ls" }]',
    'not_match = ["git diff"]',
    "not_match = [1]",
    's = [["ls"]]',
    'p = ["/tmp/**"]',
    "approval_timeout_s = 0",
    'protected_paths = ["/x/**"]',
    'comands = [["x"]]',
    "version = 2",
    "x = [[[[[[1]]]]]]",
]


def _load_error(text: str) -> PolicyError | None:
    """The PolicyError loading `text` raises, or None; anything else propagates and fails."""
    try:
        load_policy_text(text)
    except PolicyError as error:
        return error
    return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_loader_raises_only_policy_error_on_any_text(text: str) -> None:
    error = _load_error(text)
    if error is not None:
        assert error.issues
        assert str(error)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(POLICY_LINES), max_size=16))
def test_loader_raises_only_policy_error_on_toml_shaped_text(lines: list[str]) -> None:
    error = _load_error("\n".join(lines))
    if error is not None:
        assert all(i.line is None or 1 <= i.line <= max(1, len(lines)) for i in error.issues)


SHELL_BITS = st.sampled_from(
    [
        "ls",
        "rm -rf ~",
        "git status",
        "cat .env",
        " && ",
        " || ",
        "; ",
        " | ",
        " & ",
        "\n",
        "$(",
        ")",
        "`",
        "'",
        '"',
        "\\",
        "{",
        "}",
        "(",
        ")",
        "<(",
        ">(",
        "<<EOF",
        " > x",
        " 2>&1",
        "$HOME",
        "${x:-y}",
        "*",
        "?",
        "~",
        "sudo ",
        "X=1 ",
        "bash -c ",
        "eval ",
        "for i in 1; do ",
        "; done",
        "if true; then ",
        "; fi",
        "$((1+2))",
        "#",
        "!",
    ]
)
commands = st.one_of(
    st.text(max_size=80),
    st.lists(SHELL_BITS, max_size=12).map("".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands)
def test_decide_never_fails_and_never_allows_unparsed(command: str) -> None:
    request = ToolRequest(
        tool=ToolKind.EXECUTE, role="implementer", workspace=WORKSPACE, command=command
    )
    verdict = decide(default_policy(), request, home=HOME)
    assert "internal error" not in verdict.reason
    if not cached_analysis(command).parsed:
        assert verdict.decision is not Decision.ALLOW


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(list(ToolKind)),
    st.lists(st.text(max_size=30), max_size=3).map(tuple),
    st.text(max_size=20),
)
def test_decide_never_fails_on_any_file_request(
    kind: ToolKind, paths: tuple[str, ...], role: str
) -> None:
    request = ToolRequest(
        tool=kind, role=role, workspace=WORKSPACE, paths=paths, url="https://example.com"
    )
    verdict = decide(default_policy(), request, home=HOME)
    assert "internal error" not in verdict.reason
