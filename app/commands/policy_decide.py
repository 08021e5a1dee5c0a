"""``policy decide``: ask the policy about requests read from stdin, one per line.

A plain line is a shell command (tool ``execute``); a line starting with ``{`` is a JSON request
``{"tool", "command", "path", "paths", "cwd", "url"}``. A line that cannot be read is not fatal:
it is answered "deny" with the reason, exactly as the gate fails closed, and the next line is
read. The decision is the engine's, with Quarterdeck's own directories protected as in the
console; nothing is recorded and nobody is asked.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Literal, Self

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from agents.auth.compiled import LoadedPolicy
from agents.auth.engine import decide
from agents.auth.requests import Decision, ToolKind, ToolRequest
from app.commands.policy import EXIT_INVALID, effective_or_report, load_or_report, write_json
from app.wiring.store import protected_dirs
from sessions.schema.policy import PolicySource

ARROW = "←"


def register(policy_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``policy decide`` to the ``policy`` command."""
    p = policy_sub.add_parser(
        "decide",
        help="decide requests read from stdin (a shell command, or a JSON object, per line)",
    )
    p.add_argument(
        "--policy", type=Path, metavar="FILE", help="the policy to use (default: the one in force)"
    )
    p.add_argument("--role", required=True, help="the role the requests are made in")
    p.add_argument(
        "--workspace",
        required=True,
        type=existing_dir,
        metavar="DIR",
        help="the workspace the requests are judged in (must exist)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per input line")
    p.set_defaults(handler=cmd_decide)


def existing_dir(value: str) -> Path:
    """An argparse type: a directory that exists (anything else is a usage error, exit 2)."""
    path = Path(value).expanduser()
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"no such directory: {value}")
    return path


class RequestLine(BaseModel):
    """A JSON request line; unknown keys are refused so a typo never changes the question."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tool: ToolKind | None = None
    command: str | None = None
    path: str | None = None
    paths: list[str] = []
    cwd: str | None = None
    url: str | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.tool is None and self.command is None:
            raise ValueError("a request needs 'tool' or 'command'")
        if self.command is not None and self.tool not in (None, ToolKind.EXECUTE):
            raise ValueError("'command' goes with tool 'execute' only")
        return self

    def request(self, role: str, workspace: Path) -> ToolRequest:
        """The engine's request for this line."""
        paths = ([self.path] if self.path is not None else []) + self.paths
        return ToolRequest(
            tool=self.tool or ToolKind.EXECUTE,
            role=role,
            workspace=workspace,
            command=self.command,
            paths=tuple(paths),
            url=self.url,
            cwd=Path(self.cwd) if self.cwd else None,
        )

    def subject(self) -> str:
        """What the human output shows after the arrow."""
        if self.command is not None:
            return self.command
        target = [self.path] if self.path is not None else []
        names = target + self.paths + ([self.url] if self.url else [])
        return f"{self.tool} {', '.join(names)}".rstrip()


class MalformedLine(ValueError):
    """An input line that is not a request; answered "deny" with this message."""


def parse_line(line: str) -> tuple[RequestLine, str]:
    """The request a stripped, non-empty input line stands for, and how to show it."""
    if not line.startswith("{"):
        return RequestLine(tool=ToolKind.EXECUTE, command=line), line
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise MalformedLine(f"not valid JSON ({exc})") from None
    try:
        parsed = RequestLine.model_validate(data)
    except ValidationError as exc:
        raise MalformedLine(_first_problem(exc)) from None
    return parsed, parsed.subject()


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"unknown key '{where}'"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def cmd_decide(args: argparse.Namespace) -> int:
    """Decide every stdin line in order; exit 3 if the policy cannot be loaded."""
    if args.policy is not None:
        policy = load_or_report(args.policy)
    else:
        loaded = effective_or_report()
        policy = None if loaded is None else loaded[0]
    if policy is None:
        return EXIT_INVALID
    role: str = args.role
    if role not in policy.ceilings:
        known = ", ".join(policy.ceilings) or "none"
        print(
            f"quarterdeck: warning: role '{role}' has no profile in this policy, so every request"
            f" is denied (roles: {known})",
            file=sys.stderr,
        )
    protected = protected_dirs()
    for number, raw in enumerate(sys.stdin, start=1):
        line = raw.strip()
        if line:
            _answer(
                policy,
                line,
                number,
                role=role,
                workspace=args.workspace,
                protected=protected,
                as_json=args.json,
            )
    return 0


def _answer(
    policy: LoadedPolicy,
    line: str,
    number: int,
    *,
    role: str,
    workspace: Path,
    protected: tuple[Path, ...],
    as_json: bool,
) -> None:
    try:
        parsed, subject = parse_line(line)
    except MalformedLine as exc:
        reason = f"malformed request: {exc}"
        if as_json:
            write_json(
                _json(
                    Decision.DENY,
                    None,
                    reason,
                    policy_hash=policy.sha256,
                    source="input",
                    number=number,
                    error=str(exc),
                )
            )
        else:
            _human(Decision.DENY, None, reason, subject=line)
        sys.stdout.flush()
        return
    verdict = decide(policy, parsed.request(role, workspace), protected=protected)
    if as_json:
        write_json(
            _json(
                verdict.decision,
                verdict.rule_id,
                verdict.reason,
                policy_hash=verdict.policy_hash,
                source=verdict.source,
                number=number,
                error=None,
            )
        )
    else:
        _human(verdict.decision, verdict.rule_id, verdict.reason, subject=subject)
    sys.stdout.flush()  # a caller feeding lines one at a time reads each answer at once


def _json(
    decision: Decision,
    rule: str | None,
    reason: str,
    *,
    policy_hash: str,
    source: PolicySource | Literal["input"],
    number: int,
    error: str | None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "decision": decision.value,
        "rule": rule,
        "reason": reason,
        "policy_hash": policy_hash,
        "source": source,
        "line": number,
    }
    if error is not None:
        data["error"] = error
    return data


def _human(decision: Decision, rule: str | None, reason: str, *, subject: str) -> None:
    sys.stdout.write(f"{decision.value.upper():<5}  {rule or '-'}  {reason}  {ARROW}  {subject}\n")
