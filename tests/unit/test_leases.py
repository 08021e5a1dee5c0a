"""The session lease on real database files, with a fake clock."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sessions.store import leases
from sessions.store.engine import open_engine

SID = "session-1"


def _alive(_owner: str) -> bool:
    return True


def test_the_first_acquisition_gets_token_1_and_the_holder_is_recorded(db_path: Path) -> None:
    engine = open_engine(db_path)
    assert leases.holder(engine, SID) is None
    assert leases.acquire(engine, SID, "h:1", ttl_s=30, now=100.0, alive=_alive) == 1
    lease = leases.holder(engine, SID)
    assert lease is not None
    assert (lease.owner, lease.token, lease.expires_at) == ("h:1", 1, 130.0)
    assert lease.live(110.0, _alive) and not lease.live(130.0, _alive)


def test_a_live_lease_refuses_another_owner_naming_the_holder(db_path: Path) -> None:
    engine = open_engine(db_path)
    leases.acquire(engine, SID, "h:1", ttl_s=30, now=100.0, alive=_alive)
    with pytest.raises(leases.LeaseHeldError, match=r"h:1 \(lease until") as caught:
        leases.acquire(engine, SID, "h:2", ttl_s=30, now=120.0, alive=_alive)
    assert caught.value.lease.owner == "h:1"


def test_an_expired_lease_is_taken_over_and_the_token_grows(db_path: Path) -> None:
    engine = open_engine(db_path)
    first = leases.acquire(engine, SID, "h:1", ttl_s=30, now=100.0, alive=_alive)
    second = leases.acquire(engine, SID, "h:2", ttl_s=30, now=131.0, alive=_alive)
    assert second > first
    with pytest.raises(leases.LeaseLostError, match="h:2"):
        leases.renew(engine, SID, "h:1", token=first, ttl_s=30, now=132.0)


def test_the_same_owner_reacquires_with_a_new_token(db_path: Path) -> None:
    engine = open_engine(db_path)
    first = leases.acquire(engine, SID, "h:1", ttl_s=30, now=100.0, alive=_alive)
    assert leases.acquire(engine, SID, "h:1", ttl_s=30, now=101.0, alive=_alive) == first + 1


def test_renew_extends_and_release_frees_but_keeps_the_token(db_path: Path) -> None:
    engine = open_engine(db_path)
    token = leases.acquire(engine, SID, "h:1", ttl_s=30, now=100.0, alive=_alive)
    assert leases.renew(engine, SID, "h:1", token=token, ttl_s=30, now=125.0).expires_at == 155.0
    leases.release(engine, SID, "h:1", token=token)
    assert leases.acquire(engine, SID, "h:2", ttl_s=30, now=126.0, alive=_alive) == token + 1


def test_a_dead_owner_on_this_host_does_not_hold_the_lease(db_path: Path) -> None:
    engine = open_engine(db_path)
    host = socket.gethostname()
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: the pid no longer exists
    dead = child.pid
    leases.acquire(engine, SID, f"{host}:{dead}", ttl_s=30)
    assert not leases.owner_alive(f"{host}:{dead}")
    assert leases.owner_alive(f"{host}:{os.getpid()}")
    assert leases.owner_alive("another-host:1")  # cannot be checked: trusted until it expires
    assert leases.acquire(engine, SID, f"{host}:{os.getpid()}", ttl_s=30) == 2


def test_cancel_requests_reach_the_holder_and_a_new_holder_starts_clean(db_path: Path) -> None:
    engine = open_engine(db_path)
    token = leases.acquire(engine, SID, "h:1", ttl_s=30, now=100.0, alive=_alive)
    asked = leases.request_cancel(engine, SID)
    assert asked is not None and asked.cancel_requested
    assert leases.renew(engine, SID, "h:1", token=token, ttl_s=30, now=101.0).cancel_requested
    leases.acquire(engine, SID, "h:2", ttl_s=30, now=200.0, alive=_alive)
    renewed = leases.holder(engine, SID)
    assert renewed is not None and not renewed.cancel_requested


def test_two_engines_on_one_file_see_one_lease(db_path: Path) -> None:
    one, two = open_engine(db_path), open_engine(db_path)
    leases.acquire(one, SID, "h:1", ttl_s=30, now=100.0, alive=_alive)
    with pytest.raises(leases.LeaseHeldError):
        leases.acquire(two, SID, "h:2", ttl_s=30, now=101.0, alive=_alive)
    assert leases.acquire(two, "other", "h:2", ttl_s=30, now=101.0, alive=_alive) == 1
    lease = leases.holder(two, SID)
    assert lease is not None and lease.owner == "h:1"


def test_a_database_from_before_leases_has_no_holder(tmp_path: Path) -> None:
    engine = open_engine(tmp_path / "old.db")
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE session_lease")
    assert leases.holder(engine, SID) is None
    assert leases.acquire(engine, SID, "h:1", ttl_s=30, now=1.0, alive=_alive) == 1
