"""Standing grants: the narrowed rule an "always" answer adds to the user's policy file.

A grant is as narrow as the request allows: the exact program and, for tools with subcommands,
the subcommand; for file tools the exact path; always limited to the asking role. It is never
made for a compound command, a wrapper, a shell or an interpreter, or a command the analysis
had concerns about: approving ``bash -c …`` "always" would approve everything.

The grant is appended to the policy file between marker comments (so it can be listed and
revoked) and the whole new file is loaded — examples included — before it atomically replaces
the old one. The file stays the single source of truth; the watcher reloads it.
"""

from __future__ import annotations

import importlib.resources
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from agents.auth.engine import decide
from agents.auth.interpreters import SHELLS, interpreter_kind
from agents.auth.issues import PolicyError
from agents.auth.loader import DEFAULT_NAME, DEFAULT_PACKAGE, load_policy_text
from agents.auth.requests import Decision, ToolKind, ToolRequest
from agents.auth.shell import analyze
from agents.auth.wrappers import WRAPPERS

SUBCOMMAND_TOOLS = frozenset(
    {
        "git",
        "npm",
        "pnpm",
        "yarn",
        "cargo",
        "go",
        "pip",
        "pip3",
        "uv",
        "poetry",
        "docker",
        "kubectl",
        "make",
        "just",
        "gh",
        "bun",
        "deno",
        "dotnet",
        "mvn",
        "gradle",
        "terraform",
    }
)
"""Programs whose first word is a subcommand: a grant names it (``git commit``, not ``git``)."""

_BEGIN = "# >>> quarterdeck grant"
_END = "# <<< quarterdeck grant"
_MARKER = re.compile(
    r"^# >>> quarterdeck grant (?P<id>\S+) (?P<meta>\{.*\})\n(?P<body>.*?)^# <<< quarterdeck grant (?P=id)\n",
    re.MULTILINE | re.DOTALL,
)


class GrantError(Exception):
    """A grant cannot be made (the request is too broad) or written (the file is invalid)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    """A standing rule added by an "always" answer."""

    rule_id: str
    decision: Decision
    session_id: str
    role: str
    subject: str
    created: str


def narrowed_rule(request: ToolRequest, decision: Decision, *, rule_id: str) -> str:
    """The TOML of the narrowest rule that covers ``request``; ``GrantError`` if none is safe."""
    role = request.role
    if request.tool is ToolKind.EXECUTE:
        pattern, example = _command_pattern(request.command or "")
        lines = [f"commands = [{_toml(pattern)}]", f"match = [{_toml(example)}]"]
    elif request.paths:
        if len(request.paths) != 1:
            raise GrantError("a standing grant covers one path at a time")
        path = str(Path(request.paths[0]).expanduser())
        if not Path(path).is_absolute():
            path = str((request.cwd or request.workspace) / path)
        lines = [
            f"tools = [{_toml(request.tool.value)}]",
            f"paths = [{_toml(path)}]",
            f"match = [{{ tool = {_toml(request.tool.value)}, path = {_toml(path)} }}]",
        ]
    else:
        raise GrantError(f"a {request.tool.value} call without a command or path cannot be granted")
    head = [
        "[[rules]]",
        f"id = {_toml(rule_id)}",
        f'decision = "{decision.value}"',
        f"reason = {_toml(f'standing {decision.value} granted by a human')}",
        f"roles = [{_toml(role)}]",
    ]
    return "\n".join(head + lines) + "\n"


def _command_pattern(command: str) -> tuple[list[str], str]:
    analysis = analyze(command)
    if not analysis.parsed or not analysis.commands:
        raise GrantError("only a plain command can be granted always; approve it once instead")
    cmd = analysis.commands[0]
    program = cmd.program
    if program in SHELLS or interpreter_kind(program) is not None or program in {"eval", "exec"}:
        raise GrantError(f"{program} runs arbitrary code: approve it once instead")
    if len(analysis.commands) != 1 or analysis.concerns:
        raise GrantError("a compound command cannot be granted always; approve it once instead")
    if cmd.wrappers or cmd.assignments or not program or "/" in program or program in WRAPPERS:
        raise GrantError("a command behind a wrapper or a prefix cannot be granted always")
    if cmd.concerns or cmd.dangerous or cmd.nested:
        why = (cmd.dangerous or cmd.concerns or ("it runs nested code",))[0]
        raise GrantError(f"{program} cannot be granted always ({why}); approve it once instead")
    pattern = [program]
    if program in SUBCOMMAND_TOOLS and len(cmd.argv) > 1 and not cmd.argv[1].startswith("-"):
        pattern.append(cmd.argv[1])
    return pattern, command


def _toml(value: object) -> str:
    # A JSON string or array of strings is valid TOML with the same meaning.
    return orjson.dumps(value).decode()


def add_grant(
    policy_path: Path,
    rule_toml: str,
    *,
    rule_id: str,
    session_id: str,
    role: str,
    subject: str,
    request: ToolRequest,
) -> None:
    """Append a grant to the user's policy file (created from the default if missing), after
    checking that the whole new file loads and that the grant really decides ``request``, the
    call it is made for (an explicit "ask" or "deny" rule outranks an allow); replaced
    atomically. Callers go through :mod:`agents.approvals.standing`."""
    text = policy_path.read_text(encoding="utf-8") if policy_path.exists() else _default_text()
    meta = {
        "session": session_id,
        "role": role,
        "subject": subject[:200],
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    block = f"{_BEGIN} {rule_id} {orjson.dumps(meta).decode()}\n{rule_toml}{_END} {rule_id}\n"
    new_text = text.rstrip("\n") + "\n\n" + block
    _check_effective(new_text, policy_path, request, rule_id=rule_id)
    _replace(policy_path, new_text)


def _check_effective(text: str, policy_path: Path, request: ToolRequest, *, rule_id: str) -> None:
    try:
        policy = load_policy_text(text, source=policy_path)
    except PolicyError as exc:
        raise GrantError(f"the policy would not load with this change: {exc}") from exc
    verdict = decide(policy, request)
    if verdict.rule_id != rule_id:
        raise GrantError(
            f"a standing grant would not take effect: {verdict.decision.value} by"
            f" {verdict.rule_id or verdict.source} ({verdict.reason}) outranks it;"
            " edit that rule in the policy file instead, or answer once"
        )


def list_grants(policy_path: Path) -> list[Grant]:
    """Every grant in the policy file, oldest first."""
    if not policy_path.exists():
        return []
    grants = []
    for match in _MARKER.finditer(policy_path.read_text(encoding="utf-8")):
        meta = orjson.loads(match["meta"])
        decision = Decision.DENY if 'decision = "deny"' in match["body"] else Decision.ALLOW
        grants.append(
            Grant(
                rule_id=match["id"],
                decision=decision,
                session_id=meta.get("session", ""),
                role=meta.get("role", ""),
                subject=meta.get("subject", ""),
                created=meta.get("created", ""),
            )
        )
    return grants


def revoke_grant(policy_path: Path, rule_id: str) -> None:
    """Remove one grant from the policy file; ``GrantError`` if there is no such grant."""
    text = policy_path.read_text(encoding="utf-8") if policy_path.exists() else ""
    kept, found = [], False
    last = 0
    for match in _MARKER.finditer(text):
        if match["id"] == rule_id:
            kept.append(text[last : match.start()])
            last, found = match.end(), True
    if not found:
        raise GrantError(f"no grant {rule_id!r} in {policy_path}")
    kept.append(text[last:])
    _replace(policy_path, "".join(kept).rstrip("\n") + "\n")


def _replace(policy_path: Path, text: str) -> None:
    try:
        load_policy_text(text, source=policy_path)
    except PolicyError as exc:
        raise GrantError(f"the policy would not load with this change: {exc}") from exc
    policy_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=policy_path.parent, prefix=".policy-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, policy_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _default_text() -> str:
    return importlib.resources.files(DEFAULT_PACKAGE).joinpath(DEFAULT_NAME).read_text("utf-8")
