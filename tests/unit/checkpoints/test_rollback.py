"""Rollback on real files and a real shadow repository: exact bytes back, user files kept."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.checkpoints.fork import fork_session
from agents.checkpoints.recorder import Checkpoints
from agents.checkpoints.rollback import RollbackError
from agents.checkpoints.timetravel import Target, roll_back
from sessions.schema.session import SessionCreated
from sessions.schema.tools import ToolIntent
from sessions.store.anchors import AnchorLog
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore
from sessions.store.reading import load_session

# A fixed set of paths where no file is another's directory, so any edit sequence is valid.
NAMES = ["a.txt", "b.bin", "src/c.py", "src/deep/d.md", "e", "docs/f.txt", ".hidden", "g h.txt"]
contents = st.binary(max_size=40)
edit = st.tuples(st.sampled_from(["session", "user", "delete"]), st.sampled_from(NAMES), contents)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.parts
    }


class Scenario:
    """A session on a workspace: its store, checkpoints and what each checkpoint held."""

    def __init__(self, base: Path) -> None:
        self.ws = base / "ws"
        self.ws.mkdir()
        self.root = base / "shadows"
        self.store = EventStore(open_engine(base / "q.db"), anchors=AnchorLog(base / "a.jsonl"))
        self.checkpoints = Checkpoints(self.store, self.root)
        self.sid = "s1"

    async def start(self, files: dict[str, bytes]) -> None:
        for name, body in files.items():
            self.write(name, body)
        created = SessionCreated(title="t", workspace=str(self.ws.resolve()), team="demo")
        await self.store.append_durable(self.sid, "orchestrator", created)
        self.checkpoints.watch(self.sid, self.ws)
        await self.checkpoints.take(self.sid, label="session start")

    def write(self, name: str, body: bytes) -> None:
        path = self.ws / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)

    async def apply(self, who: str, name: str, body: bytes) -> None:
        path = self.ws / name
        if who == "delete":
            path.unlink(missing_ok=True)
            return
        if who == "session":
            intent = ToolIntent(
                call_id=f"w-{name}", idempotency_key=name, action="write", path=str(path.resolve())
            )
            await self.store.append_durable(self.sid, "implementer-1", intent)
        self.write(name, body)

    async def checkpoint(self) -> str:
        record = await self.checkpoints.take(self.sid, label="step")
        assert record is not None
        return str(record.payload["checkpoint_id"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.dictionaries(st.sampled_from(NAMES), contents, max_size=5),
    before=st.lists(edit, max_size=6),
    after=st.lists(edit, min_size=1, max_size=6),
)
def test_rollback_restores_exact_bytes_and_deletes_only_what_the_session_created(
    start: dict[str, bytes],
    before: list[tuple[str, str, bytes]],
    after: list[tuple[str, str, bytes]],
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        asyncio.run(_scenario(Path(scratch), start, before, after))


async def _scenario(
    base: Path,
    start: dict[str, bytes],
    before: list[tuple[str, str, bytes]],
    after: list[tuple[str, str, bytes]],
) -> None:
    s = Scenario(base)
    try:
        await s.start(start)
        for step in before:
            await s.apply(*step)
        await s.checkpoint()
        expected = _snapshot(s.ws)
        seq = load_session(s.store.engine, s.sid)[-1].seq
        for step in after:
            await s.apply(*step)
        current = _snapshot(s.ws)
        session_wrote = {name for who, name, _ in [*before, *after] if who == "session"}
        done = await roll_back(s.store, s.root, s.sid, target=Target(to_seq=seq))
        restored = _snapshot(s.ws)
        # Every file of the checkpoint is back, byte for byte.
        assert {k: restored.get(k) for k in expected} == expected
        # A file absent from the checkpoint survives unless the session created it.
        for name in set(current) - set(expected):
            created = name in session_wrote and name not in start
            assert (name in restored) is not created, name
        # The safety checkpoint holds exactly what was there before.
        assert done.safety_id is not None
        assert s.checkpoints.repo(s.ws).paths(done.safety_id) == set(current)
        undone = await roll_back(s.store, s.root, s.sid, target=Target(undo=True))
        assert undone.safety_id is not None and _snapshot(s.ws) == current
    finally:
        s.store.close()


async def test_dry_run_changes_nothing_and_bad_targets_are_clear(tmp_path: Path) -> None:
    s = Scenario(tmp_path)
    try:
        await s.start({"a.txt": b"1"})
        await s.apply("session", "a.txt", b"2")
        done = await roll_back(s.store, s.root, s.sid, target=Target(to_seq=10**6), dry_run=True)
        assert done.safety_id is None and done.plan.modified == ["a.txt"]
        assert (s.ws / "a.txt").read_bytes() == b"2"
        with pytest.raises(RollbackError, match="no known-good checkpoint"):
            await roll_back(s.store, s.root, s.sid, target=Target(last_good=True))
        with pytest.raises(RollbackError, match="no rollback to undo"):
            await roll_back(s.store, s.root, s.sid, target=Target(undo=True))
        with pytest.raises(RollbackError, match="matches no"):
            await roll_back(s.store, s.root, s.sid, target=Target(checkpoint="ffff"))
        with pytest.raises(RollbackError, match="no checkpoint at or before seq 0"):
            await roll_back(s.store, s.root, s.sid, target=Target(to_seq=0))
    finally:
        s.store.close()


async def test_a_fork_starts_from_the_nearest_checkpoint_and_can_roll_back_to_copied_ones(
    tmp_path: Path,
) -> None:
    s = Scenario(tmp_path)
    try:
        await s.start({"a.txt": b"1"})
        await s.apply("session", "b.txt", b"new")
        first = await s.checkpoint()
        at = load_session(s.store.engine, s.sid)[-1].seq
        await s.apply("session", "a.txt", b"later")
        await s.checkpoint()
        forked = await fork_session(s.store, s.root, s.sid, at_seq=at, workspace=tmp_path / "fork")
        assert forked.checkpoint_id == first and forked.files == 2
        assert _snapshot(tmp_path / "fork") == {"a.txt": b"1", "b.txt": b"new"}
        records = load_session(s.store.engine, forked.session_id)
        assert records[0].payload["origin"] == {"session_id": s.sid, "seq": at}
        assert records[0].payload["workspace"] == str((tmp_path / "fork").resolve())
        assert [r.kind for r in records[1:]] == [
            r.kind for r in load_session(s.store.engine, s.sid, upto_seq=at)[1:]
        ]
        # The fork's own numbering: its start checkpoint is at or before its first copied seq.
        (tmp_path / "fork" / "b.txt").write_bytes(b"edited in the fork")
        done = await roll_back(
            s.store, s.root, forked.session_id, target=Target(to_seq=records[1].seq)
        )
        assert (
            done.plan.target.checkpoint_id
            == load_session(s.store.engine, s.sid)[1].payload["checkpoint_id"]
        )
        assert _snapshot(tmp_path / "fork") == {"a.txt": b"1"}  # b.txt: the session wrote it
        with pytest.raises(RollbackError, match="not empty"):
            await fork_session(s.store, s.root, s.sid, at_seq=at, workspace=tmp_path / "fork")
    finally:
        s.store.close()


async def test_a_file_holding_a_secret_is_kept_as_it_is_by_a_rollback(tmp_path: Path) -> None:
    key = "sk-ant-api03-" + "r" * 32
    s = Scenario(tmp_path)
    try:
        await s.start({"settings.cfg": b"token = none\n", "a.txt": b"1"})
        seq = load_session(s.store.engine, s.sid)[-1].seq
        await s.apply("session", "a.txt", b"2")
        await s.apply("session", "settings.cfg", f"token = {key}\n".encode())
        done = await roll_back(s.store, s.root, s.sid, target=Target(to_seq=seq))
        # No checkpoint can hold the secret, not even the safety one: writing the old clean
        # version back would lose the current file for good, so it is left alone.
        assert done.plan.secret == ["settings.cfg"] and done.plan.modified == ["a.txt"]
        assert (s.ws / "settings.cfg").read_text() == f"token = {key}\n"
        assert (s.ws / "a.txt").read_bytes() == b"1"
        assert any("holds a secret" in line for line in done.plan.lines())
    finally:
        s.store.close()
