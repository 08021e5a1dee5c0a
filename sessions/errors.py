"""Typed errors of the sessions layer, each with a message a user can act on."""

from __future__ import annotations


class QuarterdeckError(Exception):
    """Base of every error Quarterdeck reports to a user (printed without a traceback)."""


class StoreError(QuarterdeckError):
    """The event store could not do what was asked (open, write, read)."""


class StoreClosedError(StoreError):
    """An append arrived after the store was closed."""


class SessionNotFoundError(QuarterdeckError):
    """No session matches the id or prefix given."""


class AmbiguousSessionError(QuarterdeckError):
    """A session id prefix matches more than one session."""


class ImportFileError(QuarterdeckError):
    """An import file is invalid; the message names the line and the problem."""


class FencedError(StoreError):
    """An append for a leased session came from a process whose lease was taken over."""
