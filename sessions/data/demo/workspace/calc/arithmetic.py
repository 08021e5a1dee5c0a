"""The four operations, with a clear error for division by zero."""

from __future__ import annotations


def add(a: float, b: float) -> float:
    """The sum of ``a`` and ``b``."""
    return a + b


def subtract(a: float, b: float) -> float:
    """``a`` minus ``b``."""
    return a - b


def multiply(a: float, b: float) -> float:
    """The product of ``a`` and ``b``."""
    return a * b


def divide(a: float, b: float) -> float:
    """``a`` divided by ``b``; a zero ``b`` is a ``ValueError``, not a ZeroDivisionError."""
    if b == 0:
        raise ValueError("cannot divide by zero")
    return a / b
