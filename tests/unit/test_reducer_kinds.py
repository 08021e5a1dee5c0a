"""The reducer's union names every payload of SessionSchema v1: a kind left out of it would
reach ``assert_never`` in the console, on the first record of that kind."""

from __future__ import annotations

from typing import get_args

from sessions.readmodel.events import Event
from sessions.schema.registry import PAYLOADS


def test_the_reducer_folds_every_kind_of_the_schema() -> None:
    folded = {cls.KIND for cls in get_args(Event)}
    assert folded == set(PAYLOADS)
