"""A small calculator library: arithmetic and simple statistics."""

from __future__ import annotations

from .arithmetic import add, divide, multiply, subtract
from .stats import mean, median, moving_average

__all__ = ["add", "divide", "mean", "median", "moving_average", "multiply", "subtract"]
