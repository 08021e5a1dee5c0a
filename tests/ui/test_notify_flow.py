"""Notifications that reach a human away from the console: a failed session in a scene rings
the bell and sends one desktop notification (a fake sender), once however often the console
looks; a sender that fails is told once; ``[notify]`` can turn each off."""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message
from textual.notifications import Notify

from app.console import QuarterdeckApp
from app.console_settings import NotifySettings, Settings
from app.notify import NotifyFailed
from app.wiring.console_boot import Boot
from sessions.readmodel.attention import Notice
from tests.ui.conftest import ready
from tests.ui.scenes import NOW, S1, START, needs_login
from tests.ui.test_flows import wait_for

OPENED = START.timestamp() - 1
"""The console opened just before the scene's first event: its failure is news, not history."""

TITLE = "Fix the failing moving_average test"


class FakeDesktop:
    """Records what it was asked to send; fails every time when ``fail``."""

    def __init__(self, *, fail: bool = False) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail = fail

    async def send(self, title: str, body: str) -> None:
        self.sent.append((title, body))
        if self.fail:
            raise NotifyFailed("no session bus")


def _app(
    desktop: FakeDesktop, now: list[float], settings: Settings | None = None
) -> tuple[QuarterdeckApp, list[int]]:
    app = QuarterdeckApp(
        Boot(records=needs_login()),
        settings=settings,
        clock=lambda: now[0],
        tick_s=None,
        desktop=desktop,
    )
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]  # headless never rings
    return app, rings


def _notes() -> tuple[list[tuple[str, str]], Callable[[Message], None]]:
    notes: list[tuple[str, str]] = []

    def hook(message: Message) -> None:
        if isinstance(message, Notify):
            notes.append((message.notification.title, message.notification.message))

    return notes, hook


async def test_a_failed_session_rings_the_bell_and_notifies_the_desktop_once() -> None:
    desktop, now = FakeDesktop(), [OPENED]
    app, rings = _app(desktop, now)
    notes, hook = _notes()
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await ready(pilot)
        now[0] = NOW
        app.check_interrupted()  # what every tick does
        await wait_for(pilot, lambda: bool(desktop.sent), "the desktop notification")
        text = f"{TITLE} failed"
        assert desktop.sent == [("Quarterdeck: Session failed", text)]
        assert rings == [1]
        assert ("Session failed", text) in notes
        for _ in range(3):  # more looks tell nothing more
            app.check_interrupted()
        await pilot.pause()
        assert (len(desktop.sent), rings) == (1, [1])
        assert sum(note == ("Session failed", text) for note in notes) == 1


async def test_a_failing_sender_is_told_once_in_the_console() -> None:
    desktop, now = FakeDesktop(fail=True), [NOW]
    app, _ = _app(desktop, now)
    notes, hook = _notes()
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await ready(pilot)
        for n in range(3):
            app.attention.tell([Notice("stalled", f"k{n}", S1, f"stall {n}")])
        await wait_for(pilot, lambda: len(desktop.sent) == 3, "three sends")
        await pilot.pause()
        failed = [n for n in notes if n[0] == "Desktop notification failed"]
        assert len(failed) == 1 and failed[0][1].startswith("no session bus")


async def test_notify_settings_turn_the_bell_the_desktop_and_failures_off() -> None:
    desktop, now = FakeDesktop(), [OPENED]
    quiet = NotifySettings(bell=False, desktop="off")
    app, rings = _app(desktop, now, Settings(notify=quiet))
    notes, hook = _notes()
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await ready(pilot)
        now[0] = NOW
        app.check_interrupted()
        await wait_for(pilot, lambda: ("Session failed", f"{TITLE} failed") in notes, "the toast")
        await pilot.pause()
        assert (rings, desktop.sent) == ([], [])  # in the console only

    now[0] = OPENED
    app, rings = _app(desktop, now, Settings(notify=NotifySettings(on_failure=False)))
    notes, hook = _notes()
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await ready(pilot)
        now[0] = NOW
        app.check_interrupted()
        await pilot.pause()
        assert (rings, desktop.sent, [n for n in notes if n[0] == "Session failed"]) == ([], [], [])
