"""Ceilings: intersection is commutative, idempotent and never grants what a side lacks."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agents.auth.ceiling import Ceiling
from agents.auth.matchers import CommandPattern, compile_pattern
from agents.auth.requests import ToolKind

WS = "/w"
HOME = "/h"
GLOBS = ["{workspace}/**", "{workspace}/src/**", "~/notes/**", "/tmp/*", "/**/*.py", "/etc/passwd"]
PATHS = ["/w", "/w/src/a.py", "/w/docs/x.md", "/h/notes/n.txt", "/tmp/x", "/etc/passwd", "/x.py"]
PATTERNS: list[list[str | list[str]]] = [
    ["git"],
    ["git", ["status", "diff"]],
    ["ls"],
    ["pytest"],
    ["*", "--version"],
]
ARGVS = [
    ("git", "status"),
    ("git", "push"),
    ("ls", "-la"),
    ("pytest", "-q"),
    ("node", "--version"),
    ("rm", "-rf"),
]

tools = st.frozensets(st.sampled_from(list(ToolKind)))
path_layers = st.frozensets(st.frozensets(st.sampled_from(GLOBS)), max_size=3)
command_layers = st.frozensets(
    st.frozensets(st.sampled_from([compile_pattern(p) for p in PATTERNS])), max_size=3
)
ceilings = st.builds(Ceiling, tools, path_layers, command_layers)


def _allows(
    ceiling: Ceiling, tool: ToolKind, path: str, argv: tuple[str, ...]
) -> tuple[bool, bool, bool]:
    return (
        ceiling.allows_tools([tool]),
        ceiling.allows_path(path, workspace=WS, home=HOME),
        ceiling.allows_command(argv),
    )


@given(ceilings, ceilings)
def test_intersect_is_commutative(a: Ceiling, b: Ceiling) -> None:
    assert a.intersect(b) == b.intersect(a)


@given(ceilings)
def test_intersect_is_idempotent(a: Ceiling) -> None:
    assert a.intersect(a) == a


@given(ceilings, ceilings, ceilings)
def test_intersect_is_associative(a: Ceiling, b: Ceiling, c: Ceiling) -> None:
    assert a.intersect(b).intersect(c) == a.intersect(b.intersect(c))


@given(
    ceilings,
    ceilings,
    st.sampled_from(list(ToolKind)),
    st.sampled_from(PATHS),
    st.sampled_from(ARGVS),
)
def test_intersect_allows_exactly_what_both_allow(
    a: Ceiling, b: Ceiling, tool: ToolKind, path: str, argv: tuple[str, ...]
) -> None:
    both = a.intersect(b)
    for got, left, right in zip(
        _allows(both, tool, path, argv),
        _allows(a, tool, path, argv),
        _allows(b, tool, path, argv),
        strict=True,
    ):
        assert got == (left and right)


@given(ceilings)
def test_unrestricted_is_the_identity(a: Ceiling) -> None:
    assert Ceiling.unrestricted().intersect(a) == a


def test_empty_layers_forbid_everything_in_their_dimension() -> None:
    none = Ceiling.of([ToolKind.READ], paths=[], commands=[])
    assert not none.allows_path("/w/a", workspace=WS, home=HOME)
    assert not none.allows_command(("ls",))
    assert not none.allows_tools([ToolKind.EDIT])
    assert Ceiling.of([ToolKind.READ]).allows_command(("anything",))


def test_patterns_in_a_ceiling_are_values() -> None:
    assert compile_pattern(["git", ["a", "b"]]) == compile_pattern(["git", ["b", "a"]])
    assert isinstance(compile_pattern(["*"]), CommandPattern)
