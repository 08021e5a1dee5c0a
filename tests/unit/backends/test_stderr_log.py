"""An agent's stderr: masked line by line before it reaches a file, and capped by rotation."""

from __future__ import annotations

import asyncio
from pathlib import Path

from agents.backends.stderr_log import LONGEST_LINE, LogLimits, RotatingFile, StderrDrain
from sessions.store.redaction import Redactor

SECRET = "sk-live-4f9a0c1e2b3d4e5f"


async def drain(chunks: list[bytes], path: Path, limits: LogLimits | None = None) -> StderrDrain:
    stream = asyncio.StreamReader()
    for chunk in chunks:
        stream.feed_data(chunk)
    stream.feed_eof()
    redactor = Redactor({"API_KEY": SECRET})
    drained = StderrDrain(stream, path, redact=redactor.redact_text, limits=limits)
    await drained.finished()
    return drained


async def test_a_secret_split_across_reads_is_masked_in_the_file_and_the_tail(
    tmp_path: Path,
) -> None:
    log = tmp_path / "a.stderr.log"
    half = len(SECRET) // 2
    drained = await drain(
        [b"debug: key=" + SECRET[:half].encode(), SECRET[half:].encode() + b"\n"], log
    )
    text = log.read_text()
    assert SECRET not in text and "[REDACTED:API_KEY]" in text
    assert SECRET not in drained.tail() and drained.tail() == text


async def test_a_line_without_an_end_is_cut_masked_and_kept(tmp_path: Path) -> None:
    log = tmp_path / "b.stderr.log"
    endless = b"." * (LONGEST_LINE + 10)
    await drain([endless, b" last words"], log)
    assert log.read_bytes() == endless + b" last words"


async def test_a_flood_rotates_and_never_holds_more_than_the_limits(tmp_path: Path) -> None:
    log = tmp_path / "c.stderr.log"
    limits = LogLimits(max_bytes=100_000, backups=2)
    lines = [f"line {n:07d} {'x' * 80}\n".encode() for n in range(10_000)]
    drained = await drain(lines, log, limits)
    files = sorted(tmp_path.glob("c.stderr.log*"))
    assert [f.name for f in files] == ["c.stderr.log", "c.stderr.log.1", "c.stderr.log.2"]
    assert all(f.stat().st_size <= limits.max_bytes for f in files)
    assert log.read_text().endswith(lines[-1].decode())  # the newest lines are in the current file
    assert drained.tail().endswith(lines[-1].decode())


def test_no_backups_keeps_only_the_current_file(tmp_path: Path) -> None:
    path = tmp_path / "d.log"
    out = RotatingFile(path, LogLimits(max_bytes=10, backups=0))
    out.write(b"0123456789")
    out.write(b"abc")
    out.close()
    assert path.read_bytes() == b"abc" and sorted(p.name for p in tmp_path.iterdir()) == ["d.log"]
