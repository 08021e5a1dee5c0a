"""Install the third-party ACP agents of the matrix into a cache under ``build/agents``.

Only the package registries are needed: fast-agent from PyPI into a virtualenv of a Python
≥ 3.13 found on the machine (pyenv's, or one on PATH: on 3.11 pip quietly picks an old release
without ACP), and the npm agents with ``npm install --prefix``. A second run reuses the cache.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

FAST_AGENT = "fast-agent-mcp"
FAST_AGENT_VERSION = "0.10.48"
NPM_VERSIONS = {
    "@agentclientprotocol/claude-agent-acp": "0.49.0",
    "@google/gemini-cli": "0.61.0",
    "opencode-ai": "1.18.33",
}
"""The versions the matrix was last judged on (docs/agents.md): pinned, so a release of an
agent cannot turn CI red overnight; bump one here and rerun ``make conformance`` to take it."""
NPM_AGENTS = tuple(NPM_VERSIONS)


class InstallError(Exception):
    """An agent of the matrix could not be installed; the message says what to do."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Installed:
    """Where the matrix's agents are, and which versions."""

    fast_agent: Path
    npm_bin: Path
    versions: dict[str, str]


def _python_313() -> Path:
    """An interpreter of Python 3.13 or newer: pyenv's, else one on PATH."""
    candidates: list[Path] = []
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    if shutil.which("pyenv"):
        done = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False)
        if done.returncode == 0 and done.stdout.strip():
            pyenv_root = done.stdout.strip()
    versions = Path(pyenv_root) / "versions"
    if versions.is_dir():
        for folder in sorted(versions.iterdir(), reverse=True):
            if folder.name.startswith(("3.13", "3.14", "3.15")):
                candidates.append(folder / "bin" / "python")
    for name in ("python3.14", "python3.13"):
        found = shutil.which(name)
        if found:
            candidates.append(Path(found))
    for python in candidates:
        if python.exists():
            return python
    raise InstallError(
        "fast-agent needs Python >= 3.13 and none was found (pyenv install 3.13, or put"
        " python3.13 on PATH)"
    )


def _run(args: list[str], what: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise InstallError(f"{what} failed (exit {done.returncode}): {' | '.join(tail)}")


def _fast_agent(cache: Path) -> tuple[Path, str]:
    venv = cache / "fast-agent"
    program = venv / "bin" / "fast-agent"
    if not program.exists():
        _run([str(_python_313()), "-m", "venv", str(venv)], "creating fast-agent's venv")
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        pinned = f"{FAST_AGENT}=={FAST_AGENT_VERSION}"
        _run([*pip, pinned], f"pip install {pinned}")
    show = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "show", FAST_AGENT],
        capture_output=True,
        text=True,
        check=False,
    )
    version = next(
        (line.split(":", 1)[1].strip() for line in show.stdout.splitlines() if "Version" in line),
        "?",
    )
    return program, version


def _npm(cache: Path) -> tuple[Path, dict[str, str]]:
    prefix = cache / "npm"
    modules = prefix / "node_modules"
    missing = [
        f"{package}@{version}"
        for package, version in NPM_VERSIONS.items()
        if _npm_version(modules / package / "package.json") != version
    ]
    if missing:
        if shutil.which("npm") is None:
            raise InstallError("npm is not installed (apt-get install nodejs npm)")
        _run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(prefix), *missing],
            "npm install",
        )
    versions = {
        package: json.loads((modules / package / "package.json").read_text())["version"]
        for package in NPM_AGENTS
    }
    return modules / ".bin", versions


def _npm_version(manifest: Path) -> str | None:
    try:
        return str(json.loads(manifest.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def install(cache: Path) -> Installed:
    """Install (or reuse) every agent of the matrix under ``cache``."""
    cache.mkdir(parents=True, exist_ok=True)
    fast_agent, fa_version = _fast_agent(cache)
    npm_bin, npm_versions = _npm(cache)
    return Installed(
        fast_agent=fast_agent, npm_bin=npm_bin, versions={FAST_AGENT: fa_version, **npm_versions}
    )


if __name__ == "__main__":
    try:
        print(install(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("build/agents")))
    except InstallError as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        sys.exit(1)
