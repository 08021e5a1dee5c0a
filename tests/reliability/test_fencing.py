"""The session lease across processes, and its fencing token checked on every append."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from sessions.errors import FencedError
from sessions.schema import AgentMessage
from sessions.schema.base import SYSTEM_SESSION
from sessions.store import leases
from sessions.store.engine import open_engine
from sessions.store.reading import load_session
from tests.conftest import StoreFactory

HOLDER = """
import sys
from sessions.store import leases
from sessions.store.engine import open_engine
token = leases.acquire(
    open_engine(sys.argv[1]), "s1", leases.owner_id(), ttl_s=float(sys.argv[2])
)
print(token, flush=True)
sys.stdin.read()  # hold it (alive) until the parent closes our stdin
"""


def test_a_second_process_cannot_take_a_leased_session_until_the_lease_expires(
    db_path: Path,
) -> None:
    open_engine(db_path).dispose()
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db_path), "60"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        first = int(child.stdout.readline())
        engine = open_engine(db_path)
        with pytest.raises(leases.LeaseHeldError, match="is being run by"):
            leases.acquire(engine, "s1", leases.owner_id())
        # The holder is alive: only the lease's expiry (a later clock) lets us take over.
        token = leases.acquire(engine, "s1", leases.owner_id(), now=time.time() + 61)
        assert token == first + 1
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)


async def test_appends_of_a_process_whose_lease_was_taken_over_are_refused(
    make_store: StoreFactory,
) -> None:
    ours, theirs = make_store(), make_store()
    token = leases.acquire(ours.engine, "s1", "host-a:1", ttl_s=30, alive=lambda _o: True)
    ours.fence("s1", token)
    await ours.append_durable("s1", "a", AgentMessage(agent_id="a", text="mine"))
    later = time.time() + 31  # our lease lapsed (a long pause): another process takes over
    newer = leases.acquire(theirs.engine, "s1", "host-b:2", ttl_s=30, now=later)
    theirs.fence("s1", newer)
    with pytest.raises(FencedError, match=f"token {token}\\) was taken over \\(token {newer}"):
        await ours.append_durable("s1", "a", AgentMessage(agent_id="a", text="stale"))
    # Other sessions in the same batch are unaffected; the new holder writes on.
    await ours.append_durable("s2", "a", AgentMessage(agent_id="a", text="elsewhere"))
    await theirs.append_durable("s1", "b", AgentMessage(agent_id="b", text="theirs"))
    ours.flush()
    texts = [r.payload["text"] for r in load_session(ours.engine, "s1")]
    assert texts == ["mine", "theirs"]
    refused = load_session(ours.engine, SYSTEM_SESSION)
    assert refused and "fencing: refused 1 event(s) of session s1" in refused[-1].payload["reason"]
    ours.unfence("s1")
