"""Whether bubblewrap works here: found on ``PATH``, its version, and a self-test that runs
``true`` under the same kind of mounts agents get (once with the network unshared)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass

SELF_TEST_TIMEOUT_S = 10.0

INSTALL_HINT = "install the bubblewrap package (apt-get install bubblewrap)"


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe:
    """What the self-test found; ``reason`` says why the sandbox is unavailable."""

    available: bool
    path: str | None = None
    version: str | None = None
    network_isolation: bool = False
    reason: str = ""

    def describe(self) -> str:
        """One line for ``doctor`` and warnings."""
        if not self.available:
            return self.reason
        net = "yes" if self.network_isolation else 'no (network = "off" cannot be honoured)'
        return f"{self.version or 'bubblewrap'} at {self.path}: self-test passed; network isolation {net}"


def _run(argv: list[str]) -> subprocess.CompletedProcess[str] | str:
    try:
        return subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=SELF_TEST_TIMEOUT_S,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)


def _failure(done: subprocess.CompletedProcess[str] | str) -> str | None:
    if isinstance(done, str):
        return done
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return lines[-1] if lines else f"exit {done.returncode}"
    return None


def probe_bwrap(program: str = "bwrap") -> Probe:
    """Find and self-test bubblewrap (a few milliseconds; callers cache the answer)."""
    if not sys.platform.startswith("linux"):
        return Probe(available=False, reason=f"bubblewrap needs Linux (this is {sys.platform})")
    path = shutil.which(program)
    if path is None:
        return Probe(available=False, reason=f"bubblewrap (bwrap) is not on PATH: {INSTALL_HINT}")
    version_run = _run([path, "--version"])
    version = None if isinstance(version_run, str) else version_run.stdout.strip() or None
    base = [path, "--die-with-parent", "--unshare-pid", "--as-pid-1", "--ro-bind", "/", "/"]
    base += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    failed = _failure(_run([*base, "--", "true"]))
    if failed is not None:
        reason = f"bubblewrap at {path} fails its self-test: {failed}"
        return Probe(available=False, path=path, version=version, reason=reason)
    isolated = _failure(_run([*base[:1], "--unshare-net", *base[1:], "--", "true"])) is None
    return Probe(available=True, path=path, version=version, network_isolation=isolated)
