"""``doctor``: the checks a user runs first — Python, packages, database, directories, policy,
team, the demo agent, the sandbox and the keyring — one line each, ``ok``, ``warn`` or ``FAIL``."""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal, cast

import orjson

from agents.team import Backend, Team, TeamError, bundled_team, demo_dir, expand, load_team
from app.paths import config_dir, data_dir

Status = Literal["ok", "warn", "FAIL"]

PACKAGES = (
    "textual",
    "pydantic",
    "sqlmodel",
    "agent-client-protocol",
    "keyring",
    "tenacity",
)
"""The distributions Quarterdeck cannot run without, reported with their versions."""

INSTALL_HINTS = {
    "claude-agent-acp": "npm i -g @agentclientprotocol/claude-agent-acp",
    "codex-acp": "npm i -g @zed-industries/codex-acp",
    "gemini": "npm i -g @google/gemini-cli",
    "opencode": "npm i -g opencode-ai",
}
"""The npm packages docs/teams.md names for the agents it documents."""

MIN_PYTHON = (3, 11)
DEMO_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report."""

    name: str
    status: Status
    detail: str


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``doctor`` to the CLI."""
    p = sub.add_parser("doctor", help="check the installation, the database, policy and team")
    p.add_argument(
        "--team", type=Path, help="team file (default: config dir team.toml, else built-in)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    """Run every check; exit 0 when none failed, 1 otherwise (a warning does not fail)."""
    checks = run_checks(str(args.db), args.team)
    ok = all(c.status != "FAIL" for c in checks)
    if args.json:
        data = {"checks": [asdict(c) for c in checks], "ok": ok}
        print(orjson.dumps(data).decode())
    else:
        width = max(len(c.name) for c in checks)
        for c in checks:
            print(f"{c.status:<4}  {c.name:<{width}}  {c.detail}")
    return 0 if ok else 1


def run_checks(db: str, team: Path | None) -> list[Check]:
    """Every check, in the order a user would fix them."""
    checks = [check_python(), *check_packages(), check_database(db)]
    checks += [check_dir("data dir", data_dir()), check_dir("config dir", config_dir())]
    checks += [check_policy(), *check_team(team), check_demo_agent(), check_sandbox()]
    checks.append(check_keyring())
    return checks


def _guard(name: str, fn: Callable[[], Check]) -> Check:
    """A check that crashes is a FAIL naming the exception, never a traceback."""
    try:
        return fn()
    except Exception as exc:  # the report must go on
        return Check(name, "FAIL", f"{type(exc).__name__}: {exc}")


def check_python() -> Check:
    """Python 3.11 or later."""
    version = ".".join(str(p) for p in sys.version_info[:3])
    if sys.version_info[:2] >= MIN_PYTHON:
        return Check("python", "ok", f"{version} ({sys.executable})")
    return Check("python", "FAIL", f"{version}: Quarterdeck needs Python 3.11 or later")


def check_packages() -> list[Check]:
    """Each required distribution is installed; its version."""
    checks = []
    for name in PACKAGES:
        try:
            checks.append(Check(name, "ok", importlib.metadata.version(name)))
        except importlib.metadata.PackageNotFoundError:
            checks.append(Check(name, "FAIL", "not installed: pip install -e . (or reinstall)"))
    return checks


def check_database(db: str) -> Check:
    """The database opens (or is created), is in WAL mode, and its chain verifies."""

    def run() -> Check:
        from app.wiring.store import anchors_for
        from sessions.errors import QuarterdeckError
        from sessions.store.engine import open_engine
        from sessions.store.verify import verify_chain

        try:
            engine = open_engine(db)
        except QuarterdeckError as exc:
            return Check("database", "FAIL", str(exc))
        try:
            with engine.connect() as conn:
                mode = str(conn.exec_driver_sql("PRAGMA journal_mode").scalar()).lower()
            log = anchors_for(engine)
            report = verify_chain(engine, anchors=log.read() if log is not None else [])
        finally:
            engine.dispose()
        if not report.ok:
            return Check(
                "database",
                "FAIL",
                f"{db}: audit verify: broken at seq {report.bad_seq}: {report.problem}:"
                f" {report.detail}",
            )
        status: Status = "ok" if mode == "wal" else "warn"
        return Check(
            "database",
            status,
            f"{db}: journal {mode}, audit verify ok ({report.checked} events,"
            f" {report.anchors_checked} anchors)",
        )

    return _guard("database", run)


def check_dir(name: str, path: Path) -> Check:
    """A directory Quarterdeck writes: writable, or creatable when it does not exist yet."""
    if path.is_dir():
        try:
            with tempfile.NamedTemporaryFile(dir=path, prefix=".doctor-"):
                pass
        except OSError as exc:
            return Check(name, "FAIL", f"{path}: not writable: {exc.strerror or exc}")
        return Check(name, "ok", f"{path} (writable)")
    if path.exists():
        return Check(name, "FAIL", f"{path} exists and is not a directory")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if os.access(parent, os.W_OK | os.X_OK):
        return Check(name, "ok", f"{path} (not created yet; {parent} is writable)")
    return Check(name, "FAIL", f"{path} does not exist and {parent} is not writable")


def check_policy() -> Check:
    """The effective policy loads: its rule count, hash and where it came from."""
    from agents.auth.issues import PolicyError
    from app.wiring.store import effective_policy

    try:
        policy, source = effective_policy()
    except PolicyError as exc:
        problems = "; ".join(str(exc).splitlines())
        return Check("policy", "FAIL", f"{problems} (every tool call is denied until fixed)")
    return Check(
        "policy", "ok", f"{len(policy.rules)} rules, sha256 {policy.sha256[:16]}, {source}"
    )


def _team_path(team: Path | None) -> Path:
    if team is not None:
        return team
    user = config_dir() / "team.toml"
    return user if user.exists() else bundled_team("team.toml")


def check_team(team: Path | None) -> list[Check]:
    """The team file is valid, and every ``acp`` role's command is on PATH."""
    path = _team_path(team)
    try:
        loaded: Team = load_team(path)
    except TeamError as exc:
        return [Check("team", "FAIL", str(exc))]
    checks = [Check("team", "ok", f"{path}: {loaded.name!r}, roles {', '.join(loaded.roles)}")]
    for role, config in loaded.roles.items():
        if config.backend is not Backend.ACP or config.command is None:
            continue
        command = expand(config.command)
        found = shutil.which(command)
        name = f"agent {role}"
        if found is not None:
            checks.append(Check(name, "ok", f"{command} → {found}"))
            continue
        hint = INSTALL_HINTS.get(Path(command).name)
        fix = hint or "install it or fix `command` in the team file"
        checks.append(Check(name, "FAIL", f"{command!r} is not on PATH: {fix} (see docs/teams.md)"))
    return checks


def check_demo_agent() -> Check:
    """The built-in demo agent starts and answers ``initialize`` within 10 s."""
    return _guard("demo agent", lambda: asyncio.run(_demo_initialize()))


async def _demo_initialize() -> Check:
    from acp import PROTOCOL_VERSION, Client, spawn_agent_process
    from acp.schema import ClientCapabilities, Implementation

    class _InitializeOnly:
        """A client that only sends ``initialize``: it serves none of the agent's methods."""

    playbook = demo_dir() / "playbooks" / "planner.toml"
    args = ("-m", "agents.demo", "--playbook", str(playbook), "--speed", "0")
    client = cast(Client, _InitializeOnly())
    started = time.perf_counter()
    async with spawn_agent_process(client, sys.executable, *args) as (conn, process):
        try:
            async with asyncio.timeout(DEMO_TIMEOUT_S):
                init = await conn.initialize(
                    protocol_version=PROTOCOL_VERSION,
                    client_capabilities=ClientCapabilities(),
                    client_info=Implementation(name="quarterdeck-doctor", version="0.1"),
                )
        except TimeoutError:
            return Check("demo agent", "FAIL", f"no answer to initialize in {DEMO_TIMEOUT_S:g}s")
        finally:
            if process.returncode is None:
                process.kill()
    elapsed_ms = (time.perf_counter() - started) * 1000
    name = init.agent_info.name if init.agent_info is not None else "?"
    status: Status = "ok" if init.protocol_version == PROTOCOL_VERSION else "FAIL"
    return Check(
        "demo agent",
        status,
        f"{name} answered initialize (protocol {init.protocol_version}) in {elapsed_ms:.0f} ms",
    )


def check_sandbox() -> Check:
    """bubblewrap is found and passes its self-test: what holds an agent that does not ask. Its
    absence is a warning (agents still start, each with a warning event), not a failure."""

    def run() -> Check:
        from agents.sandbox.probe import probe_bwrap

        probe = probe_bwrap()
        if not probe.available:
            return Check("sandbox", "warn", f"{probe.reason}; agents run unconfined")
        status: Status = "ok" if probe.network_isolation else "warn"
        return Check("sandbox", status, probe.describe())

    return _guard("sandbox", run)


def check_keyring() -> Check:
    """The keyring backend round-trips a canary secret; a refused backend is only a warning
    (secrets are optional until a team file hands one to a role)."""

    def run() -> Check:
        from agents.secrets.keyring_store import SecretStore, SecretsUnavailableError

        try:
            store = SecretStore(data_dir() / "secrets.json")
            store.canary()
        except SecretsUnavailableError as exc:
            return Check("keyring", "warn", str(exc))
        return Check("keyring", "ok", f"{store.backend_name}: canary secret round-trip ok")

    return _guard("keyring", run)
