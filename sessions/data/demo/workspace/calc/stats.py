"""Simple statistics over a sequence of numbers."""

from __future__ import annotations

from collections.abc import Sequence

from .arithmetic import divide


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean; an empty sequence is a ``ValueError``."""
    if not values:
        raise ValueError("mean of an empty sequence")
    return divide(sum(values), len(values))


def median(values: Sequence[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count)."""
    if not values:
        raise ValueError("median of an empty sequence")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return mean(ordered[middle - 1 : middle + 1])


def moving_average(values: Sequence[float], window: int) -> list[float]:
    """The mean of every run of ``window`` consecutive values, in order."""
    if window < 1 or window > len(values):
        raise ValueError(f"window must be between 1 and {len(values)}, got {window}")
    return [mean(values[i : i + window]) for i in range(len(values) - window)]
