"""Sending desktop notifications (app/notify.py): ``notify-send`` gets the right argv (a fake
``notify-send`` on a temp PATH writes what it got), its failure is one line, and without it the
terminal's OSC 9 / OSC 777 escape is chosen, with control characters taken out."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from app.notify import NotifyFailed, NotifySend, TerminalEscape, choose, escape


def _fake_notify_send(bindir: Path, *, out: Path, exit_code: int = 0) -> None:
    bindir.mkdir(exist_ok=True)
    script = bindir / "notify-send"
    script.write_text(
        "#!/bin/sh\n"
        f"printf '%s\\n' \"$@\" > '{out}'\n"
        f"[ {exit_code} -eq 0 ] || echo 'cannot reach the session bus' >&2\n"
        f"exit {exit_code}\n"
    )
    script.chmod(0o755)


def _on(bindir: Path) -> Callable[[str], str | None]:
    return lambda name: shutil.which(name, path=str(bindir))


async def test_auto_runs_notify_send_from_path_with_the_title_and_body(tmp_path: Path) -> None:
    out = tmp_path / "argv.txt"
    _fake_notify_send(tmp_path / "bin", out=out)
    sender = choose("auto", write=print, which=_on(tmp_path / "bin"))
    assert isinstance(sender, NotifySend)
    body = "Fix it: implementer has waited 1 min for: rm -rf build; echo $HOME"
    await sender.send("Quarterdeck: Approval waiting", body)  # returns once the process exited
    assert out.read_text().splitlines() == [
        "--app-name=Quarterdeck",
        "--",
        "Quarterdeck: Approval waiting",
        body,  # one argument, as given: no shell saw it
    ]


async def test_a_failing_notify_send_is_one_line_saying_why(tmp_path: Path) -> None:
    out = tmp_path / "argv.txt"
    _fake_notify_send(tmp_path / "bin", out=out, exit_code=3)
    sender = NotifySend(str(tmp_path / "bin" / "notify-send"))
    with pytest.raises(NotifyFailed, match=r"^notify-send exited with 3: cannot reach the session"):
        await sender.send("t", "b")
    assert out.exists()
    with pytest.raises(NotifyFailed, match=r"^cannot run .*missing"):
        await NotifySend(str(tmp_path / "missing")).send("t", "b")


def test_without_notify_send_the_terminal_escape_is_chosen(tmp_path: Path) -> None:
    nowhere = _on(tmp_path)
    written: list[str] = []
    vte = choose("auto", write=written.append, which=nowhere, env={"VTE_VERSION": "7600"})
    assert vte == TerminalEscape("osc777", written.append)
    foot = choose("auto", write=written.append, which=nowhere, env={"TERM": "foot"})
    assert isinstance(foot, TerminalEscape) and foot.style == "osc777"
    other = choose("auto", write=written.append, which=nowhere, env={"TERM": "xterm-256color"})
    assert isinstance(other, TerminalEscape) and other.style == "osc9"
    forced = choose("osc9", write=written.append, which=nowhere, env={"VTE_VERSION": "1"})
    assert isinstance(forced, TerminalEscape) and forced.style == "osc9"
    assert choose("off", write=written.append, which=nowhere) is None
    with pytest.raises(NotifyFailed, match="notify-send is not on PATH"):
        choose("notify-send", write=written.append, which=nowhere)


async def test_the_escape_is_written_whole_and_text_cannot_end_it_early() -> None:
    written: list[str] = []
    await TerminalEscape("osc9", written.append).send("Session failed", "x failed")
    assert written == ["\x1b]9;Session failed: x failed\x07"]
    assert escape("osc9", "a\x1b]b", "c\x07d\n") == "\x1b]9;a ]b: c d\x07"
    assert escape("osc777", "one; two", "b;c") == "\x1b]777;notify;one, two;b;c\x07"
