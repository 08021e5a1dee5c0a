"""The calc library's tests; one of them fails until the moving-average bug is fixed."""

from __future__ import annotations

import pytest

# Quarterdeck's own mypy run reaches this file as part of a namespace package and cannot see
# `calc`; inside the workspace the import resolves, hence `unused-ignore` too.
from calc import (
    add,
    divide,
    mean,
    median,
    moving_average,
    multiply,
    subtract,
)


def test_arithmetic() -> None:
    assert add(2, 3) == 5
    assert subtract(2, 3) == -1
    assert multiply(4, 2.5) == 10
    assert divide(9, 3) == 3


def test_divide_by_zero_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="divide by zero"):
        divide(1, 0)


def test_mean_and_median() -> None:
    assert mean([1, 2, 3, 4]) == 2.5
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5


def test_moving_average_covers_every_window() -> None:
    assert moving_average([1, 2, 3, 4], 2) == [1.5, 2.5, 3.5]
    assert moving_average([5, 7], 2) == [6.0]


def test_moving_average_rejects_a_bad_window() -> None:
    with pytest.raises(ValueError, match="window"):
        moving_average([1, 2], 3)
