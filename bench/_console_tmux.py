"""Out-of-process parts of ``bench/console.py``: first paint and memory, in a real tmux pane.

Each run starts a fresh process in a 120x40 pane of a tmux server of our own (no status bar, no
config, ``TERM=xterm-256color``), then polls ``capture-pane`` until the expected text is on the
screen. The clock starts just before ``respawn-pane`` asks tmux to start the process; the
tmux round trip and the polling are measured on their own (``echo``) and reported as the floor.
"""

from __future__ import annotations

import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUARTERDECK = Path(sys.executable).with_name("quarterdeck")
TRIVIAL = HERE / "_console_trivial.py"
TRIVIAL_MARK = "trivial textual app"
CONSOLE_MARK = "Approve"
"""In the dashboard's footer, the last line drawn: the first frame is complete."""
HELP_MARK = "Quarterdeck keys"
"""The help screen's heading: ``?`` was answered."""
POLL_S = 0.005


class Tmux:
    """A private tmux server with one pane, in which commands are (re)started."""

    def __init__(self, width: int = 120, height: int = 40) -> None:
        self.name = f"qd-bench-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "TMUX")}
        self.env["TERM"] = "xterm-256color"
        self.tmux(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "bench",
            "-x",
            str(width),
            "-y",
            str(height),
            "exec cat",
        )
        self.tmux("set-option", "-g", "status", "off")
        self.tmux("set-option", "-g", "remain-on-exit", "on")  # the server outlives the app
        self.tmux("set-option", "-g", "default-terminal", "xterm-256color")
        self.running = False

    def tmux(self, *args: str) -> str:
        """Run a tmux command against our server; its output."""
        done = subprocess.run(
            ["tmux", "-L", self.name, *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def start(self, argv: list[str]) -> float:
        """Replace the pane's process by ``argv`` (respawning clears the screen); the
        ``perf_counter`` time just before."""
        self.stop()
        started = time.perf_counter()
        self.tmux("respawn-pane", "-k", "-t", "bench", "exec " + shlex.join(argv))
        self.running = True
        return started

    def pid(self) -> int:
        """The pane's process (``exec``: the command itself, not a shell)."""
        return int(self.tmux("display-message", "-p", "-t", "bench", "#{pane_pid}"))

    def wait_for(self, text: str, timeout: float = 60.0) -> float:
        """Poll the screen until ``text`` is on it; the time of the poll that saw it."""
        deadline = time.perf_counter() + timeout
        while True:
            polled = time.perf_counter()
            if text in self.tmux("capture-pane", "-p", "-t", "bench"):
                return polled
            if polled > deadline:
                raise TimeoutError(f"{text!r} never appeared:\n{self.tmux('capture-pane', '-p')}")
            time.sleep(POLL_S)

    def rss_mb(self) -> tuple[float, float]:
        """The pane process's resident set now and at its peak (MiB)."""
        status = Path(f"/proc/{self.pid()}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines())
        return _kib(fields["VmRSS"]) / 1024, _kib(fields["VmHWM"]) / 1024

    def cpu_s(self) -> float:
        """CPU seconds (user and system) the pane's process has used so far."""
        fields = Path(f"/proc/{self.pid()}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def idle_cpu(self, span_s: float) -> float:
        """The pane process's CPU over the next ``span_s`` seconds, in % of one core."""
        before, started = self.cpu_s(), time.perf_counter()
        time.sleep(span_s)
        return 100 * (self.cpu_s() - before) / (time.perf_counter() - started)

    def press(self, key: str) -> None:
        """Type ``key`` into the pane (a tmux key name: ``?``, ``Escape``)."""
        self.tmux("send-keys", "-t", "bench", key)

    def stop(self) -> None:
        """End the process we started (tmux 3.3a may not reap it: we do not rely on it)."""
        if not self.running:
            return
        self.running = False
        pid = self.pid()
        subprocess.run(
            ["tmux", "-L", self.name, "respawn-pane", "-k", "-t", "bench", "exec cat"],
            env=self.env,
            capture_output=True,
            check=False,
        )
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def close(self) -> None:
        """Stop the pane's process and the server, and remove its socket (``kill-server``
        leaves it behind)."""
        self.stop()
        socket = self.tmux("display-message", "-p", "#{socket_path}").strip()
        subprocess.run(
            ["tmux", "-L", self.name, "kill-server"], env=self.env, capture_output=True, check=False
        )
        Path(socket).unlink(missing_ok=True)


def _kib(field: str) -> float:
    return float(field.split()[0])


def trivial_argv() -> list[str]:
    """The baseline: a trivial Textual app in a fresh interpreter."""
    return [sys.executable, str(TRIVIAL)]


def console_argv(db: Path) -> list[str]:
    """``quarterdeck --db DB console``, the real command."""
    return [str(QUARTERDECK), "--db", str(db), "console"]


def direct_argv(db: Path) -> list[str]:
    """The console without the CLI: ``open_console()`` in a fresh interpreter."""
    code = (
        "import sys; from app.commands.console import open_console;"
        " sys.exit(open_console(sys.argv[1]))"
    )
    return [sys.executable, "-c", code, str(db)]


def first_paint(pane: Tmux, argv: list[str], mark: str) -> tuple[float, float]:
    """Seconds from asking tmux to start ``argv`` to ``mark`` on the screen, and the process's
    RSS (MiB) half a second later."""
    started = pane.start(argv)
    painted = pane.wait_for(mark) - started
    time.sleep(0.5)
    rss, _ = pane.rss_mb()
    pane.stop()
    return painted, rss


def floor(pane: Tmux) -> float:
    """The tmux round trip plus polling: an ``echo`` "painted" at once."""
    started = pane.start(["sh", "-c", "echo qd-floor-mark; exec cat"])
    seen = pane.wait_for("qd-floor-mark") - started
    pane.stop()
    return seen


def keys_answer(pane: Tmux, argv: list[str], listed: str) -> tuple[float, float, float]:
    """Start ``argv``, wait for ``listed`` on the screen (the sessions list painted), then
    press ``?`` and wait for the help screen: seconds from the start to each, and from the
    key to its answer."""
    started = pane.start(argv)
    shown = pane.wait_for(listed, timeout=300)
    pressed = time.perf_counter()
    pane.press("?")
    answered = pane.wait_for(HELP_MARK, timeout=60)
    pane.stop()
    return shown - started, answered - started, answered - pressed


POLICY_LOADS = (
    "SELECT count(*) FROM event WHERE session_id = '_system'"
    " AND kind IN ('policy.reloaded', 'policy.rejected')"
)


def policy_loads(db: Path) -> int:
    """How many times a runtime has recorded loading the policy into ``db``: each console does
    once, when it has opened (its runtime built, after the sessions list is painted)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(conn.execute(POLICY_LOADS).fetchone()[0])
    finally:
        conn.close()


def wait_opened(db: Path, loads: int, timeout: float = 300.0) -> float:
    """Poll ``db`` until a console has recorded a policy load past ``loads``; the time then.
    (A mark on the screen would not do: the status bar shows the policy from the log's earlier
    loads as soon as the list is painted.)"""
    deadline = time.perf_counter() + timeout
    while policy_loads(db) <= loads:
        if time.perf_counter() > deadline:
            raise TimeoutError("the console never opened")
        time.sleep(0.02)
    return time.perf_counter()


def opened_rss(pane: Tmux, argv: list[str], db: Path, settle_s: float = 0.5) -> float:
    """Start ``argv`` on ``db``, wait until it has opened, let it settle; its RSS (MiB)."""
    loads = policy_loads(db)
    pane.start(argv)
    wait_opened(db, loads)
    time.sleep(settle_s)
    rss, _ = pane.rss_mb()
    pane.stop()
    return rss


IDLE_AFTER_S = 3.0
"""How long after opening nothing is happening any more: the first ticks and the collector's
first full pass after the fold are part of opening, not of idling."""


def folded_then_idle(
    pane: Tmux,
    argv: list[str],
    db: Path,
    mark: str,
    *,
    settle_s: float = 1.0,
    idle_s: float = 10.0,
) -> tuple[float, ...]:
    """Start ``argv`` on ``db``, wait for ``mark`` (the shown session folded) and for the
    console to have opened, let it settle; the seconds until ``mark``, the RSS then and at its
    peak (MiB), and the CPU it uses over ``idle_s`` from :data:`IDLE_AFTER_S` after opening,
    with nothing happening (% of one core)."""
    loads = policy_loads(db)
    started = pane.start(argv)
    seen = pane.wait_for(mark, timeout=300) - started
    opened = wait_opened(db, loads)
    time.sleep(settle_s)
    rss, peak = pane.rss_mb()
    time.sleep(max(0.0, opened + IDLE_AFTER_S - time.perf_counter()))
    idle = pane.idle_cpu(idle_s)
    pane.stop()
    return seen, rss, peak, idle


def trivial_idle(pane: Tmux, *, idle_s: float = 10.0) -> float:
    """The trivial app's CPU with nothing happening, as :func:`folded_then_idle` measures."""
    pane.start(trivial_argv())
    pane.wait_for(TRIVIAL_MARK)
    time.sleep(IDLE_AFTER_S)
    idle = pane.idle_cpu(idle_s)
    pane.stop()
    return idle
