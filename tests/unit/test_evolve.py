"""``evolve`` is ``dataclasses.replace`` for the reducer's views, faster: the same values."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessions.evolve import evolve
from sessions.readmodel.views import AgentState, AgentView


@given(st.text(), st.integers(0, 9), st.sampled_from(list(AgentState)))
def test_evolve_makes_the_value_replace_makes(text: str, attempts: int, state: AgentState) -> None:
    agent = AgentView(agent_id="a-1", role="implementer")
    changes = {"current_tool": text, "attempts": attempts, "state": state}
    assert evolve(agent, **changes) == replace(agent, **changes)
    assert evolve(agent) == agent and evolve(agent) is not agent


def test_an_unknown_field_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="no field 'nope'"):
        evolve(AgentView(agent_id="a-1"), nope=1)


def test_a_class_with_post_init_is_refused() -> None:
    @dataclass(frozen=True, slots=True)
    class Checked:
        n: int

        def __post_init__(self) -> None:
            assert self.n >= 0

    with pytest.raises(TypeError, match="__post_init__"):
        evolve(Checked(1), n=2)
