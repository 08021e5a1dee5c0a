"""Console test helpers: an app on a fixed scene, and waiting for it to be ready."""

from __future__ import annotations

from collections.abc import Sequence

from textual.pilot import Pilot

from app.console import QuarterdeckApp
from app.console_settings import NotifySettings, Settings
from app.wiring.console_boot import Boot
from screens.replay import ReplayScreen
from sessions.store.record import Record
from tests.ui.scenes import NOW

SCENE_SETTINGS = Settings(
    notify=NotifySettings(approval_after_s=None, stall_after_s=None, on_failure=False)
)
"""A scene is a picture: no "approval waiting" toast over it (tests/ui/test_notify_flow.py
covers them)."""


def scene_app(records: Sequence[Record], *, replay: str | None = None) -> QuarterdeckApp:
    """The console on ``records`` with a frozen clock and no ticking timer."""
    return QuarterdeckApp(
        Boot(records=records),
        settings=SCENE_SETTINGS,
        clock=lambda: NOW,
        replay_session=replay,
        tick_s=None,
    )


async def ready(pilot: Pilot[int]) -> None:
    """Wait until live updates flow and the shown session is folded and drawn (or the replay
    is loaded)."""
    app = pilot.app
    assert isinstance(app, QuarterdeckApp)
    for _ in range(500):  # bounded: a console that never gets ready fails the test
        replays = [s for s in app.screen_stack if isinstance(s, ReplayScreen)]
        if replays:
            done = all(s.replay is not None for s in replays)
        else:
            dashboard = app.dashboard
            folding = dashboard is not None and dashboard.folding
            done = app.bridge is not None and app.bridge.loaded.is_set() and not folding
        if done:
            break
        await pilot.pause(0.01)
    else:
        raise AssertionError("the console did not finish loading")
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
