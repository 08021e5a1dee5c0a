"""What the demo agent keeps per ACP session."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path


@dataclass(kw_only=True)
class DemoSession:
    """What the demo agent remembers about one ACP session between prompts."""

    session_id: str
    cwd: Path
    attempt: int
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    reads: dict[str, str] = field(default_factory=dict)
    """The last known text of each absolute path read or written, for ``replace`` writes."""
    answers: list[str] = field(default_factory=list)
    """The permission kind chosen for each ``ask`` step so far, or ``cancelled``."""
    tool_ids: count[int] = field(default_factory=lambda: count(1))
    busy: bool = False
    costs: dict[str, float] = field(default_factory=dict)
    """What the session has cost so far, per currency (``usage`` steps add to it)."""
