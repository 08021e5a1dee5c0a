"""atheris fuzz targets for the parsers that stand between agents and the disk.

Run one: ``.venv/bin/python tests/fuzz/fuzz_targets.py TARGET -max_total_time=60``
(``make fuzz`` runs them all). Each target asserts the parser's contract: only its declared
error escapes, and input that cannot be parsed never yields "allow".
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path

import atheris

# Libraries we trust are imported first, so only our code and bashlex get instrumented.
import orjson
import pydantic
import sqlalchemy
from pydantic import ValidationError

with atheris.instrument_imports():
    from agents.auth.engine import decide
    from agents.auth.issues import PolicyError
    from agents.auth.loader import default_policy, load_policy_text
    from agents.auth.requests import Decision, ToolKind, ToolRequest
    from agents.auth.shell import analyze
    from sessions.schema.registry import validate_event

WORKSPACE = Path("/tmp/qd-fuzz-workspace")
POLICY = default_policy()


def shell(data: bytes) -> None:
    """analyze() never raises; an unparsed command always carries a concern."""
    text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(4096)
    result = analyze(text)
    if not result.parsed:
        assert result.concerns, text


def gate(data: bytes) -> None:
    """decide() never raises and never allows what the analysis could not parse."""
    text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(2048)
    request = ToolRequest(
        tool=ToolKind.EXECUTE, role="implementer", workspace=WORKSPACE, command=text
    )
    verdict = decide(POLICY, request)
    if not analyze(text).parsed:
        assert verdict.decision is not Decision.ALLOW, text


def policy(data: bytes) -> None:
    """Loading any text raises only PolicyError."""
    text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(4096)
    with contextlib.suppress(PolicyError):
        load_policy_text(text)


def events(data: bytes) -> None:
    """Decoding any JSON as a record raises only the declared errors."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return
    with contextlib.suppress(ValidationError):
        validate_event(value)


_EACH = (shell, gate, policy, events)


def every(data: bytes) -> None:
    """All targets in one process, the first byte choosing (the quick run in the test suite)."""
    if data:
        _EACH[data[0] % len(_EACH)](data[1:])


TARGETS: dict[str, Callable[[bytes], None]] = {
    "shell": shell,
    "gate": gate,
    "policy": policy,
    "events": events,
    "all": every,
}

_ = (pydantic, sqlalchemy)

if __name__ == "__main__":
    WORKSPACE.mkdir(exist_ok=True)
    name = sys.argv.pop(1)
    atheris.Setup(sys.argv, TARGETS[name])
    atheris.Fuzz()
