"""One conformance run: the real ``quarterdeck run --headless`` in a throwaway home, then its log.

Every check gets its own directory holding a fake ``HOME`` (with a fake SSH key whose bytes
are the secret the matrix hunts for), Quarterdeck's config and data directories, a keyring in a
file under that home, a workspace and a place "outside" it. After the run, the checks read the
session's records from the database and scan files for the secret.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sessions.store.engine import open_engine
from sessions.store.reading import list_sessions, load_session
from sessions.store.record import Record

QUARTERDECK = Path(sys.executable).with_name("quarterdeck")
SECRET = "sk-conformance-7c1e9a4b2d8f6e0a5c3b"
"""The fake key: in ~/.ssh/id_rsa and in the keyring, so it must be masked wherever it shows."""


@dataclass(kw_only=True)
class Sandbox:
    """The directories of one check."""

    root: Path
    home: Path = field(init=False)
    workspace: Path = field(init=False)
    outside: Path = field(init=False)
    data: Path = field(init=False)
    config: Path = field(init=False)

    def __post_init__(self) -> None:
        self.home = self.root / "home"
        self.workspace = self.root / "workspace"
        self.outside = self.root / "outside"
        self.data = self.root / "data"
        self.config = self.root / "config"
        for folder in (self.home / ".ssh", self.workspace, self.outside, self.data, self.config):
            folder.mkdir(parents=True, exist_ok=True)
        (self.home / ".ssh" / "id_rsa").write_text(f"-----FAKE KEY-----\n{SECRET}\n")
        (self.workspace / "README.md").write_text("# conformance workspace\n")

    @property
    def db(self) -> Path:
        """The run's database."""
        return self.data / "quarterdeck.db"

    def env(self) -> dict[str, str]:
        """The environment of every command of this check."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("QUARTERDECK_")}
        env.update(
            HOME=str(self.home),
            QUARTERDECK_DATA_DIR=str(self.data),
            QUARTERDECK_CONFIG_DIR=str(self.config),
            XDG_DATA_HOME=str(self.home / ".local" / "share"),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
            QUARTERDECK_INSECURE_KEYRING="1",
        )
        return env

    def store_secret(self, name: str = "CONFORMANCE_KEY") -> None:
        """Put :data:`SECRET` in this home's keyring, so every writer masks it."""
        subprocess.run(
            [str(QUARTERDECK), "secrets", "set", name],
            input=SECRET,
            text=True,
            env=self.env(),
            capture_output=True,
            check=True,
        )

    def files_holding(self, needle: str) -> list[Path]:
        """Every file under the data dir, the workspace and the outside dir containing
        ``needle`` (the shadow repositories and the agents' stderr logs included)."""
        raw = needle.encode()
        found = []
        for top in (self.data, self.workspace, self.outside):
            for path in top.rglob("*"):
                if path.is_file() and not path.is_symlink() and raw in path.read_bytes():
                    found.append(path)
        return found


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What one ``quarterdeck run`` did."""

    exit_code: int
    stderr: str
    records: list[Record]

    def kinds(self, kind: str) -> list[Record]:
        """The records of ``kind``, in order."""
        return [r for r in self.records if r.kind == kind]

    def payloads(self, kind: str) -> list[dict[str, Any]]:
        """The payloads of the records of ``kind``."""
        return [r.payload for r in self.kinds(kind)]

    def sent(self, method: str) -> bool:
        """Whether Quarterdeck sent the agent a message with ``method``."""
        return any(
            p.get("direction") == "out" and p.get("method") == method for p in self.payloads("raw")
        )


def team_file(
    sandbox: Sandbox, *, command: str, args: list[str], extra: str = "", verbatim: bool = True
) -> Path:
    """A team whose only role is the implementer, played by ``command`` (prompted verbatim: a
    scripted agent acts on the task's first line, which the role's template would hide)."""
    quoted = ", ".join(f'"{a}"' for a in args)
    path = sandbox.root / "team.toml"
    prompt = 'prompt = "verbatim"\n' if verbatim else ""
    path.write_text(
        'name = "conformance"\n'
        "[roles.implementer]\n"
        'backend = "acp"\n'
        f'command = "{command}"\n'
        f"args = [{quoted}]\n"
        f"{prompt}{extra}"
        "[workflow]\n"
        'order = ["implementer"]\n'
        "max_attempts = 1\n"
        "turn_timeout_s = 120\n"
    )
    return path


def _records(db: Path) -> list[Record]:
    if not db.exists():
        return []
    engine = open_engine(db, create=False)
    try:
        return [r for s in list_sessions(engine) for r in load_session(engine, s.session_id)]
    finally:
        engine.dispose()


def run(
    sandbox: Sandbox,
    team: Path,
    task: str,
    *,
    on_ask: str = "deny",
    timeout_s: float = 180,
    interrupt_when: Callable[[list[dict[str, Any]]], bool] | None = None,
) -> Outcome:
    """``quarterdeck run TASK --headless --json`` in ``sandbox``; with ``interrupt_when``,
    SIGTERM it as soon as the records it has printed (committed ones) satisfy the predicate."""
    args = [
        str(QUARTERDECK),
        "--db",
        str(sandbox.db),
        "run",
        task,
        "--headless",
        "--json",
        "--team",
        str(team),
        "--workspace",
        str(sandbox.workspace),
        "--on-ask",
        on_ask,
    ]
    errors = sandbox.root / "stderr.txt"
    with errors.open("w") as stderr_file:
        process = subprocess.Popen(
            args,
            env=sandbox.env(),
            stdout=subprocess.PIPE,
            stderr=stderr_file,
            text=True,
            start_new_session=True,
        )
    reader = threading.Thread(target=_follow, args=(process, interrupt_when), daemon=True)
    reader.start()
    note = ""
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        note = f"\n(conformance: killed after {timeout_s:.0f} s)"
    reader.join()
    return Outcome(
        exit_code=process.returncode,
        stderr=errors.read_text() + note,
        records=_records(sandbox.db),
    )


def _follow(
    process: subprocess.Popen[str],
    interrupt_when: Callable[[list[dict[str, Any]]], bool] | None,
) -> None:
    """Read the run's JSON Lines as they are committed; SIGTERM it once the predicate holds."""
    assert process.stdout is not None
    seen: list[dict[str, Any]] = []
    fired = interrupt_when is None
    for line in process.stdout:
        try:
            seen.append(json.loads(line))
        except ValueError:
            continue
        if not fired and interrupt_when is not None and interrupt_when(seen):
            fired = True
            process.send_signal(signal.SIGTERM)


def group_alive(pid: int) -> bool:
    """Whether any process of the group led by ``pid`` is still running."""
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
