"""A real terminal for end-to-end tests: one private tmux server per test.

The program runs under ``sh``, which prints ``EXIT=<status>`` when it ends and then waits, so the
exit status is read from the screen. That also keeps tmux 3.3a's lost-SIGCHLD bug away (its
child, ``sh``, never exits while the test runs; see ../shared/notes/terminal-testing.md).
Waiting polls the screen every 20 ms up to a deadline: a terminal has no event to wait on.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

TMUX = shutil.which("tmux")
EXIT = re.compile(r"^EXIT=(\d+)\s*$", re.MULTILINE)


class Terminal:
    """``command`` in a ``cols`` × ``rows`` tmux pane with the test's environment."""

    def __init__(self, command: Sequence[str], *, cols: int = 120, rows: int = 40) -> None:
        assert TMUX is not None, "tmux is not installed"
        self.socket = f"qd-e2e-{uuid.uuid4().hex[:12]}"
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "TMUX")}
        env["TERM"] = "xterm-256color"
        self._env = env
        script = f"{shlex.join(command)}; echo EXIT=$?; exec sleep 3600"
        self._tmux(
            "-f",
            os.devnull,
            "new-session",
            "-d",
            "-x",
            str(cols),
            "-y",
            str(rows),
            "sh",
            "-c",
            script,
        )
        self._tmux("set-option", "-g", "status", "off")

    def _tmux(self, *args: str) -> str:
        assert TMUX is not None
        done = subprocess.run(
            [TMUX, "-L", self.socket, *args],
            env=self._env,
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        if done.returncode != 0:
            raise RuntimeError(f"tmux {args[0]} failed: {done.stderr.strip()}")
        return done.stdout

    def screen(self, *, joined: bool = False) -> str:
        """What the pane shows now; ``joined`` puts lines the terminal wrapped back together."""
        return self._tmux("capture-pane", "-p", *(["-J"] if joined else []))

    def press(self, *keys: str) -> None:
        """Send tmux key names (``a``, ``C-q``, ``Enter``, ``BTab``)."""
        self._tmux("send-keys", *keys)

    def wait_for(self, ready: Callable[[str], bool], what: str, *, timeout: float = 60.0) -> str:
        """Poll the screen until ``ready(screen)``; the screen, or AssertionError with it."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if "Traceback (most recent call last)" in screen:
                raise AssertionError(f"a traceback while waiting for {what}:\n{screen}")
            if ready(screen):
                return screen
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what}; the screen:\n{screen}")

    def exit_status(self, *, timeout: float = 60.0) -> int:
        """Wait for the program to end; its exit status."""
        screen = self.wait_for(lambda s: EXIT.search(s) is not None, "the exit", timeout=timeout)
        match = EXIT.search(screen)
        assert match is not None
        return int(match.group(1))

    def close(self) -> None:
        """Kill the server and remove its socket (``kill-server`` leaves the file behind)."""
        with contextlib.suppress(RuntimeError):
            self._tmux("kill-server")
        socket = Path(f"/tmp/tmux-{os.getuid()}") / self.socket
        socket.unlink(missing_ok=True)
