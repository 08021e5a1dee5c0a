"""Scanning files for secrets before a snapshot stores them (docs/decisions.md, "Checkpoints
hold no secrets").

A file in which the scanner finds a known secret or a credential shape is *withheld*: left out
of the snapshot, never masked (a masked copy would be written back by a rollback as if it were
the file). The scan reads the whole file in overlapping windows, so a secret is found wherever
it sits, and computes the file's digest on the way: drift detection compares withheld files by
that digest, since their content never reaches the shadow repository.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sessions.store.redaction import Redactor

Scanner = Callable[[str], str | None]
"""Text → the name of the secret or credential it holds, or None."""

WINDOW = 4 * 1024 * 1024
OVERLAP = 64 * 1024
"""Bytes scanned at a time, and how much of the previous window is scanned again: a secret
that straddles two windows is shorter than the overlap."""

_DEFAULT = Redactor(pii=False)


def default_scanner() -> Scanner:
    """Credential shapes only (no keyring values): for tools that have no runtime redactor."""
    return _DEFAULT.find_credential


@dataclass(frozen=True, slots=True)
class Withheld:
    """A file left out of a snapshot: the secret (or credential shape) found, and its digest."""

    secret: str
    sha256: str


def scan_file(path: Path, scanner: Scanner) -> Withheld | None:
    """Whether ``path`` (a regular file) holds a secret; None when it is clean or unreadable."""
    digest = hashlib.sha256()
    found: str | None = None
    tail = b""
    try:
        with path.open("rb") as handle:
            while block := handle.read(WINDOW):
                digest.update(block)
                if found is None:
                    found = scanner((tail + block).decode("utf-8", errors="replace"))
                tail = block[-OVERLAP:]
    except OSError:
        return None  # gone or unreadable: git's own add reports what it cannot read
    return None if found is None else Withheld(found, digest.hexdigest())


def scan_files(workspace: Path, paths: Iterable[str], scanner: Scanner) -> dict[str, Withheld]:
    """The regular files among ``paths`` (relative to ``workspace``) that hold a secret."""
    withheld: dict[str, Withheld] = {}
    for relative in paths:
        path = workspace / relative
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            continue  # deleted since it was listed
        if not stat.S_ISREG(mode):
            continue  # a symlink's target is a path, not content
        if (hit := scan_file(path, scanner)) is not None:
            withheld[relative] = hit
    return withheld
