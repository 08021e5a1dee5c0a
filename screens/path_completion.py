"""Completion of directory paths for an ``Input``: the rest of the first matching directory.

Listing a directory is disk I/O, so the suggester does it on a thread: the UI loop only draws.
Hidden directories are offered only when the typed name starts with a dot; ``~`` is expanded
to find matches but kept in what is shown, so a suggestion always extends what was typed.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from textual.suggester import Suggester


def complete_directory(value: str) -> str | None:
    """``value`` extended to the first directory (sorted by name) it is a prefix of, with a
    trailing ``/``; None when nothing matches. Blocking (it lists a directory)."""
    if not value:
        return None
    head, _, prefix = value.rpartition(os.sep)
    parent = Path(os.path.expanduser(head + os.sep if head or value.startswith(os.sep) else "."))
    try:
        names = sorted(
            entry.name
            for entry in os.scandir(parent)
            if entry.name.startswith(prefix) and _is_dir(entry)
        )
    except OSError:  # no such directory, or not readable: nothing to suggest
        return None
    if not prefix.startswith("."):
        names = [n for n in names if not n.startswith(".")]
    if not names:
        return None
    return value + names[0][len(prefix) :] + os.sep


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


class DirectorySuggester(Suggester):
    """Suggests the directory a typed path leads to; ``→`` at the end of the input accepts it."""

    def __init__(self) -> None:
        # No cache (directories change while the form is open); paths are case-sensitive.
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        """The completed path, listed on a thread."""
        return await asyncio.to_thread(complete_directory, value)
