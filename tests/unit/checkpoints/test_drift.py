"""Drift: which workspace changes of a turn an allowed action explains, window by window."""

from __future__ import annotations

import asyncio
from pathlib import Path

from agents.checkpoints.drift import Drifted, DriftWatch
from agents.checkpoints.scan import Withheld
from agents.checkpoints.shadow import ShadowRepo

KEY = "sk-ant-api03-" + "x" * 30


def _watch(tmp_path: Path) -> tuple[DriftWatch, Path]:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "keep.txt").write_text("keep\n")
    repo = ShadowRepo(tmp_path / "shadows", ws, exclude=(".git", ".fast-agent"))
    return DriftWatch(lambda: repo), ws


async def _checkpoint(watch: DriftWatch) -> None:
    """What the recorder does before an allowed call: a snapshot stamped with ticks."""
    repo = watch._repo()
    started = watch.tick()
    with repo.locked():
        tree = repo.snapshot_tree()
    watch.snapshot_taken(tree, started=started, withheld=repo.withheld)


def test_a_change_no_action_explains_is_drift(tmp_path: Path) -> None:
    watch, ws = _watch(tmp_path)

    async def turn() -> list[Drifted]:
        await watch.begin()
        (ws / "new.txt").write_text("x")
        (ws / "keep.txt").write_text("changed")
        (ws / ".fast-agent").mkdir()
        (ws / ".fast-agent" / "history.json").write_text("{}")  # the agent's own state
        return await watch.end()

    assert asyncio.run(turn()) == [Drifted("modified", "keep.txt"), Drifted("added", "new.txt")]


def test_an_allowed_write_explains_its_own_path_and_only_in_its_window(tmp_path: Path) -> None:
    watch, ws = _watch(tmp_path)

    async def turn() -> list[Drifted]:
        await watch.begin()
        (ws / "a.txt").write_text("before any allowed call")  # window 1: drift
        await _checkpoint(watch)
        token = watch.began(ws / "a.txt")
        (ws / "a.txt").write_text("through the gate")  # window 2: explained
        watch.ended(token)
        (ws / "b.txt").write_text("sneaked in after the write")  # window 2, no write of b
        return await watch.end()

    assert asyncio.run(turn()) == [Drifted("added", "a.txt"), Drifted("added", "b.txt")]


def test_a_running_command_explains_every_change_of_its_windows(tmp_path: Path) -> None:
    watch, ws = _watch(tmp_path)

    async def turn() -> list[Drifted]:
        await watch.begin()
        await _checkpoint(watch)
        token = watch.began(None)
        (ws / "built.txt").write_text("by the command")
        (ws / "keep.txt").unlink()
        watch.ended(token)
        await _checkpoint(watch)  # the next allowed call, after the command exited
        (ws / "late.txt").write_text("by the agent, after the command")
        return await watch.end()

    assert asyncio.run(turn()) == [Drifted("added", "late.txt")]


def test_a_command_still_running_at_the_end_explains_the_rest_of_the_turn(tmp_path: Path) -> None:
    watch, ws = _watch(tmp_path)

    async def turn() -> list[Drifted]:
        await watch.begin()
        watch.began(None)  # never ends: a server left running
        (ws / "log.txt").write_text("x")
        return await watch.end()

    assert asyncio.run(turn()) == []


def test_files_withheld_for_a_secret_are_compared_by_digest(tmp_path: Path) -> None:
    watch, ws = _watch(tmp_path)
    (ws / ".env").write_text(f"KEY={KEY}\n")

    async def turn(change: str | None) -> list[Drifted]:
        await watch.begin()
        if change is not None:
            (ws / ".env").write_text(change)
        return await watch.end()

    assert asyncio.run(turn(None)) == []  # withheld both times, same bytes
    assert asyncio.run(turn(f"KEY={KEY}\nMORE=1\n")) == [Drifted("modified", ".env")]
    assert asyncio.run(turn("clean now\n")) == [Drifted("modified", ".env")]
    assert asyncio.run(turn(f"KEY={KEY}\n")) == [Drifted("modified", ".env")]
    (ws / "b.env").write_text(f"KEY={KEY}\n")

    async def removed() -> list[Drifted]:
        await watch.begin()
        (ws / ".env").unlink()
        (ws / "c.env").write_text(f"KEY={KEY}\n")
        return await watch.end()

    assert asyncio.run(removed()) == [Drifted("deleted", ".env"), Drifted("added", "c.env")]


def test_outside_a_turn_nothing_is_recorded(tmp_path: Path) -> None:
    watch, ws = _watch(tmp_path)
    watch.ended(watch.began(ws / "a.txt"))
    watch.snapshot_taken("0" * 40, started=watch.tick(), withheld={"x": Withheld("k", "d")})
    assert asyncio.run(watch.end()) == []
