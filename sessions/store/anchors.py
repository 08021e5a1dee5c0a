"""Anchors: the chain head ``(seq, hash)`` copied out of the database, so truncation shows.

A chain whose tail was deleted still verifies on its own; only a copy of the head kept
elsewhere catches it. Each line of an anchors file is a JSON object ``{"seq", "hash", "ts"}``,
appended and fsynced.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import orjson

from sessions.errors import StoreError


@dataclass(frozen=True, slots=True)
class Anchor:
    """One copy of the chain head."""

    seq: int
    hash: str
    ts: str


def anchors_path_for(data_dir: Path, db_path: Path) -> Path:
    """The anchors file, in the data directory, for the database at ``db_path``."""
    digest = hashlib.sha256(str(db_path.resolve()).encode()).hexdigest()[:16]
    return data_dir / "anchors" / f"{db_path.stem}-{digest}.jsonl"


class AnchorLog:
    """Appends anchors to a file and reads them back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, anchor: Anchor) -> None:
        """Append one anchor durably (the line is fsynced before this returns)."""
        line = orjson.dumps({"seq": anchor.seq, "hash": anchor.hash, "ts": anchor.ts}) + b"\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)

    def read(self) -> list[Anchor]:
        """Every anchor in the file, in order; a torn last line (a crash mid-write) is skipped."""
        return read_anchors(self.path)


def read_anchors(path: Path) -> list[Anchor]:
    """Parse an anchors file; raises :class:`StoreError` naming the line of a corrupt entry."""
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise StoreError(f"cannot read anchors file {path}: {exc.strerror}") from exc
    anchors: list[Anchor] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = orjson.loads(line)
            anchors.append(Anchor(seq=int(data["seq"]), hash=str(data["hash"]), ts=str(data["ts"])))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            if number == len(lines):
                break
            raise StoreError(f"{path}:{number}: not an anchor ({exc})") from exc
    return anchors
