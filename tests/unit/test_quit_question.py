"""What quitting asks about: sessions whose outcome is still open, not ones already ending."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from agents.orchestrator.core import Orchestrator
from agents.supervisor.actions import Supervisor
from tests.conftest import StoreFactory


@dataclass
class _Runner:
    ending: bool
    finished: bool = False


@dataclass
class _Orchestrator:
    runners: dict[str, _Runner]
    tasks: dict[str, Any] = field(default_factory=dict)

    def running(self) -> list[str]:
        return list(self.runners)


async def test_quitting_asks_only_about_sessions_not_yet_ending(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    never = asyncio.get_running_loop().create_future()
    runners = {"open": _Runner(ending=False), "ending": _Runner(ending=True)}
    fake = _Orchestrator(runners=runners, tasks=dict.fromkeys(runners, never))
    supervisor = Supervisor(
        make_store(), policy_path=tmp_path / "p.toml", orchestrator=cast(Orchestrator, fake)
    )
    assert sorted(supervisor.running()) == ["ending", "open"]
    assert supervisor.cancellable() == ["open"]
    never.cancel()
