"""What agents cost, folded right: ACP's cost is a running total per ACP session.

An agent's ``usage_update`` says what its *ACP session* has cost so far, so the latest report
of each ACP session replaces the one before, and an agent restarted in a new ACP session adds
a new total beside the old one. Sums are kept per currency: amounts in different currencies are
never added together. Pure values, no pydantic: the console's views are built on them before the
schema loads.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class Money(NamedTuple):
    """An amount in one currency (ISO 4217 code, as the agent reported it)."""

    currency: str
    amount: float


class RunCost(NamedTuple):
    """The latest running total of one ACP session of an agent, in one currency."""

    acp_session_id: str
    currency: str
    amount: float


def with_cost(costs: tuple[RunCost, ...], run: RunCost) -> tuple[RunCost, ...]:
    """``costs`` with ``run``'s running total set (replacing the earlier report of the same
    ACP session in the same currency, or added after the others)."""
    for index, old in enumerate(costs):
        if old.acp_session_id == run.acp_session_id and old.currency == run.currency:
            return (*costs[:index], run, *costs[index + 1 :])
    return (*costs, run)


def totals(amounts: Iterable[RunCost | Money]) -> tuple[Money, ...]:
    """The sum per currency, in the order the currencies first appear."""
    sums: dict[str, float] = {}
    for item in amounts:
        sums[item.currency] = sums.get(item.currency, 0.0) + item.amount
    return tuple(Money(currency, amount) for currency, amount in sums.items())


def in_currency(amounts: Iterable[Money], currency: str) -> float:
    """The part of ``amounts`` in ``currency`` (0 when there is none)."""
    return sum(m.amount for m in amounts if m.currency == currency)


_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def money(amount: float, currency: str) -> str:
    """``amount`` as a person reads it: ``$2.61``, ``€0.40``, ``12.00 CHF``; a spend too small
    for cents reads ``<$0.01``, never ``$0.00``."""
    symbol = _SYMBOLS.get(currency.upper())
    if 0 < amount < 0.005:
        return f"<{symbol}0.01" if symbol else f"<0.01 {currency}"
    return f"{symbol}{amount:,.2f}" if symbol else f"{amount:,.2f} {currency}"


def moneys(amounts: Iterable[Money]) -> str:
    """Several currencies side by side (``$2.61 + €0.40``): never summed into one."""
    return " + ".join(money(m.amount, m.currency) for m in amounts)
