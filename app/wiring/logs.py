"""Where the process's own log records go: one masked, rotating file, never the terminal.

Python prints a record to stderr when no handler is configured (``logging.lastResort``), so the
ACP SDK's "Background task failed" and every traceback logged below it landed on a user's
terminal, unmasked. A process that runs agents sends every record (ours and the SDK's) to
``quarterdeck.log`` in the logs directory, through the same redaction as the event log; what a
user must see is an event, or the one line the command prints.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from sessions.store.redaction import Redactor, redacting_filter

LOG_NAME = "quarterdeck.log"
"""The process log's file name, in the logs directory beside the agents' stderr logs."""

MAX_BYTES = 1024 * 1024
BACKUPS = 3


class ProcessLogHandler(logging.handlers.RotatingFileHandler):
    """The rotating file every record goes to; one per process (a new one replaces it)."""


def log_to_file(log_dir: Path, redactor: Redactor, *, level: int = logging.INFO) -> Path:
    """Send every log record of this process to ``log_dir/quarterdeck.log``, masked by
    ``redactor``, rotating at 1 MiB with three older files kept; returns the file's path."""
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / LOG_NAME
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, ProcessLogHandler)]:
        root.removeHandler(old)
        old.close()
    handler = ProcessLogHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(redacting_filter(redactor))
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    return path
