"""Backends that run one agent process for one role of one session (ACP first)."""

from __future__ import annotations
