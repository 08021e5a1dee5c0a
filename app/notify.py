"""Desktop notifications: ``notify-send`` where it is on PATH, else the terminal's own OSC 9 or
OSC 777 escape sequence, as ``[notify] desktop`` in ``config.toml`` chooses.

Each sender has one coroutine, :meth:`Desktop.send`, which the console runs in a worker: a
slow or hung ``notify-send`` (no D-Bus session, say) never holds up a frame. A failure is a
:class:`NotifyFailed` with one line saying why, for the console to show once.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from app.console_settings import DesktopMode

__all__ = ["Desktop", "NotifyFailed", "NotifySend", "TerminalEscape", "choose", "escape"]

EscapeStyle = Literal["osc9", "osc777"]

NOTIFY_SEND_TIMEOUT_S = 10.0
"""How long ``notify-send`` may take before it is killed and called failed."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
"""Control characters (ESC and BEL among them): a title must not end the escape early."""


class NotifyFailed(Exception):
    """A desktop notification could not be sent; the message says why, in one line."""


class Desktop(Protocol):
    """Sends one desktop notification."""

    async def send(self, title: str, body: str) -> None:
        """Send it, or raise :class:`NotifyFailed`."""
        ...


@dataclass(frozen=True, slots=True)
class NotifySend:
    """``notify-send`` (libnotify): the argument list is fixed, no shell ever sees the text."""

    program: str
    timeout_s: float = NOTIFY_SEND_TIMEOUT_S

    def argv(self, title: str, body: str) -> list[str]:
        """The command line for one notification."""
        return [self.program, "--app-name=Quarterdeck", "--", title, body]

    async def send(self, title: str, body: str) -> None:
        """Run ``notify-send`` and wait for it (bounded); a non-zero exit is a failure."""
        try:
            process = await asyncio.create_subprocess_exec(
                *self.argv(title, body),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise NotifyFailed(f"cannot run {self.program}: {exc.strerror or exc}") from exc
        try:
            _, stderr = await asyncio.wait_for(process.communicate(), self.timeout_s)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise NotifyFailed(f"notify-send did not finish in {self.timeout_s:g} s") from None
        if process.returncode:
            lines = stderr.decode(errors="replace").strip().splitlines()
            why = f": {lines[-1]}" if lines else ""
            raise NotifyFailed(f"notify-send exited with {process.returncode}{why}")


@dataclass(frozen=True, slots=True)
class TerminalEscape:
    """The terminal's notification escape, written through the console's own output."""

    style: EscapeStyle
    write: Callable[[str], None]

    async def send(self, title: str, body: str) -> None:
        """Write the escape sequence (the terminal shows it, or ignores it)."""
        self.write(escape(self.style, title, body))


def escape(style: EscapeStyle, title: str, body: str) -> str:
    """OSC 9 (iTerm2, WezTerm, kitty, Windows Terminal: one text) or OSC 777 (VTE terminals,
    foot, rxvt: ``notify;title;body``), with control characters taken out."""
    title, body = _CONTROL.sub(" ", title).strip(), _CONTROL.sub(" ", body).strip()
    if style == "osc9":
        return f"\x1b]9;{title}: {body}\x07"
    return f"\x1b]777;notify;{title.replace(';', ',')};{body}\x07"


def choose(
    mode: DesktopMode,
    *,
    write: Callable[[str], None],
    which: Callable[[str], str | None] = shutil.which,
    env: Mapping[str, str] = os.environ,
) -> Desktop | None:
    """The sender ``mode`` asks for (``None`` for ``off``). ``auto`` takes ``notify-send``
    when it is on PATH, else the escape this terminal most likely shows. Looks on PATH: call
    it off the UI loop."""
    if mode == "off":
        return None
    if mode in ("osc9", "osc777"):
        return TerminalEscape(mode, write)
    program = which("notify-send")
    if program is not None:
        return NotifySend(program)
    if mode == "notify-send":
        raise NotifyFailed("notify-send is not on PATH (install libnotify, or set desktop)")
    return TerminalEscape(_terminal_style(env), write)


def _terminal_style(env: Mapping[str, str]) -> EscapeStyle:
    """OSC 777 where the terminal is known to read it (VTE, foot, rxvt), else OSC 9."""
    term = env.get("TERM", "")
    if env.get("VTE_VERSION") or term.startswith(("foot", "rxvt")):
        return "osc777"
    return "osc9"
