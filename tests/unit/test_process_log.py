"""A process that runs agents logs to one masked, rotating file, and never to the terminal."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.wiring.logs import ProcessLogHandler, log_to_file
from sessions.store.redaction import Redactor

SECRET = "quarterdeck-test-value-9f8e7d6c"


@pytest.fixture
def root_handlers() -> Iterator[None]:
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in before]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


@pytest.mark.usefixtures("root_handlers")
def test_a_logged_traceback_goes_to_the_file_masked_and_not_to_stderr(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = log_to_file(tmp_path / "logs", Redactor({"API_KEY": SECRET}))
    try:
        raise ConnectionError(f"the agent's stdin is closed ({SECRET})")
    except ConnectionError:
        logging.getLogger().exception("Background task failed")  # what the ACP SDK logs
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text()
    assert "Background task failed" in text and "Traceback" in text
    assert SECRET not in text and "[REDACTED:API_KEY]" in text
    assert capfd.readouterr().err == ""


@pytest.mark.usefixtures("root_handlers")
def test_a_second_call_replaces_the_handler(tmp_path: Path) -> None:
    log_to_file(tmp_path / "a", Redactor())
    log_to_file(tmp_path / "b", Redactor())
    ours = [h for h in logging.getLogger().handlers if isinstance(h, ProcessLogHandler)]
    assert [Path(h.baseFilename).parent.name for h in ours] == ["b"]
