"""Hot reload: only fully checked policies are swapped in; failures keep the last good one."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

from agents.auth.holder import PolicyHolder
from agents.auth.loader import default_policy
from agents.auth.watch import record_policy_changes, watch_policy
from sessions.schema.base import SYSTEM_SESSION
from sessions.store.reading import list_sessions, load_session
from tests.conftest import StoreFactory

VALID = """
[[rules]]
id = "ls"
decision = "allow"
commands = [["ls"]]
match = ["ls -la"]
"""
VALID_2 = VALID.replace('id = "ls"', 'id = "ls2"')
BROKEN_TOML = '[[rules]\nid = "x"'
FAILING_EXAMPLE = VALID.replace('match = ["ls -la"]', 'match = ["rm -rf /"]')


def test_no_file_means_the_default_policy(tmp_path: Path) -> None:
    holder = PolicyHolder(tmp_path / "policy.toml")
    result = holder.load()
    assert result.ok and holder.current is default_policy()


def test_a_cold_start_with_an_invalid_file_holds_no_policy(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(BROKEN_TOML)
    holder = PolicyHolder(path)
    result = holder.load()
    assert not result.ok and holder.current is None and result.kept_hash is None
    assert any("policy.toml:1" in e for e in result.errors)


def test_a_bad_edit_keeps_the_last_good_policy(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(VALID)
    holder = PolicyHolder(path)
    seen = []
    holder.on_change(seen.append)
    assert holder.load().ok
    good = holder.current
    assert good is not None
    for bad in (BROKEN_TOML, FAILING_EXAMPLE):
        path.write_text(bad)
        result = holder.load()
        assert not result.ok and result.kept_hash == good.sha256
        assert holder.current is good
    path.unlink()
    assert not holder.load().ok and holder.current is good  # a vanished file changes nothing
    assert [r.ok for r in seen] == [True, False, False, False]


def test_decisions_never_see_a_partial_policy(tmp_path: Path) -> None:
    """Writers cycle valid, broken and example-failing files while a reader decides."""
    path = tmp_path / "policy.toml"
    path.write_text(VALID)
    holder = PolicyHolder(path)
    holder.load()
    valid_hashes = set()
    from agents.auth.loader import load_policy_text

    for text in (VALID, VALID_2):
        valid_hashes.add(load_policy_text(text).sha256)
    stop = threading.Event()
    seen: set[str] = set()

    def reader() -> None:
        while not stop.is_set():
            policy = holder.current
            assert policy is not None
            seen.add(policy.sha256)

    thread = threading.Thread(target=reader)
    thread.start()
    for i in range(30):
        text = (VALID, BROKEN_TOML, VALID_2, FAILING_EXAMPLE, VALID[: len(VALID) // 2])[i % 5]
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
        holder.load()
    stop.set()
    thread.join()
    assert seen <= valid_hashes and seen


async def test_the_watcher_reloads_after_an_edit(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(VALID)
    holder = PolicyHolder(path)
    holder.load()
    changed = asyncio.Event()
    results = []

    def on_change(result: object) -> None:
        results.append(result)
        changed.set()

    holder.on_change(on_change)
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(
        watch_policy(holder, debounce_ms=50, interval_s=0.05, stop=stop, ready=ready)
    )
    await asyncio.wait_for(ready.wait(), 10)
    tmp = path.with_suffix(".swp")
    tmp.write_text(VALID_2)
    os.replace(tmp, path)  # save by rename, as editors do
    await asyncio.wait_for(changed.wait(), 10)
    assert holder.current is not None and holder.current.rules[0].id == "ls2"
    changed.clear()
    path.write_text(BROKEN_TOML)
    await asyncio.wait_for(changed.wait(), 10)
    assert holder.current.rules[0].id == "ls2"
    assert results[-1].ok is False
    stop.set()
    await asyncio.wait_for(task, 10)


def test_reloads_and_rejections_are_recorded(tmp_path: Path, make_store: StoreFactory) -> None:
    store = make_store()
    path = tmp_path / "policy.toml"
    path.write_text(VALID)
    holder = PolicyHolder(path)
    record_policy_changes(holder, store)
    holder.load()
    path.write_text(FAILING_EXAMPLE)
    holder.load()
    store.flush()
    records = load_session(store.engine, SYSTEM_SESSION)
    assert [r.kind for r in records] == ["policy.reloaded", "policy.rejected"]
    assert records[1].payload["kept_hash"] == records[0].payload["policy_hash"]
    assert records[1].payload["errors"] == [
        f"{path}:2: rule 'ls': match example 'rm -rf /' does not match this rule"
    ]
    assert list_sessions(store.engine) == []  # the system session is not a user's session
