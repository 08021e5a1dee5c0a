"""Command output is streamed into tool.output events, capped per command."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from agents.backends.executor import STREAM_LIMIT, ToolExecutor
from sessions.schema.tools import ToolOutput


def test_output_streams_until_the_cap_and_says_so() -> None:
    sent: list[ToolOutput] = []
    fake: Any = SimpleNamespace(
        session_id="s", agent_id="a", _store=SimpleNamespace(append=lambda s, a, p: sent.append(p))
    )
    stream = ToolExecutor._streamer(fake, "c1")
    chunk = b"x" * (64 * 1024)
    for _ in range(STREAM_LIMIT // len(chunk) + 3):
        stream(chunk)
    assert sum(len(p.text) for p in sent) == STREAM_LIMIT
    assert [p.truncated for p in sent][-1] is True and not any(p.truncated for p in sent[:-1])
    assert {p.call_id for p in sent} == {"c1"}


def test_a_character_cut_by_a_read_does_not_break_the_stream() -> None:
    sent: list[ToolOutput] = []
    fake: Any = SimpleNamespace(
        session_id="s", agent_id="a", _store=SimpleNamespace(append=lambda s, a, p: sent.append(p))
    )
    stream = ToolExecutor._streamer(fake, "c1")
    data = "héllo ✓\n".encode()
    for cut in (data[:2], data[2:9], data[9:]):  # both multi-byte characters are split
        stream(cut)
    assert "".join(p.text for p in sent) == "héllo ✓\n"
