"""The policy canary: re-decide recorded tool calls under a candidate policy, see what changes.

Before a new `policy.toml` goes live, `quarterdeck policy diff` replays every `tool.requested`
event of the log through the candidate and compares the verdict with the `policy.decided` the
gate recorded for the same call. A change towards allow is what a reviewer must look at (and
what fails a CI gate); a change towards deny is merely inconvenient.

Everything here is pure: records come in as an iterable, `Redecision`s go out as a generator,
in one pass and in constant memory apart from a few small maps (the role of each agent, the
workspace of each session, and the calls whose recorded decision has not arrived yet — the gate
records it right after the request, so that map holds a handful of entries at a time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from agents.auth.compiled import LoadedPolicy
from agents.auth.engine import decide
from agents.auth.requests import Decision, ToolKind, ToolRequest, Verdict
from sessions.schema.policy import POLICY_SOURCES
from sessions.store.record import Record

UNKNOWN_ROLE = "unknown"
"""The role of a call whose agent has no `agent.started` event in its session."""

#: Distinct requests whose candidate verdict one diff remembers.
VERDICT_CACHE = 4096


@dataclass(frozen=True, slots=True, kw_only=True)
class Redecision:
    """One recorded call decided again: what it was, what it would be under the candidate."""

    session_id: str
    seq: int
    call_id: str
    agent_id: str
    role: str
    tool: str
    command: str | None
    paths: tuple[str, ...]
    workspace: str
    workspace_recorded: bool
    old: Decision
    old_rule: str | None
    old_recorded: bool
    new: Decision
    new_rule: str | None
    new_reason: str

    @property
    def changed(self) -> bool:
        """True when the candidate would decide this call differently."""
        return self.old is not self.new

    @property
    def more_permissive(self) -> bool:
        """True when the candidate is looser here (deny → ask/allow, ask → allow)."""
        return self.new.rank < self.old.rank

    @property
    def subject(self) -> str:
        """The command, else the paths, else the tool: what a reader recognises the call by."""
        if self.command is not None:
            return self.command
        return ", ".join(self.paths) if self.paths else self.tool


@dataclass(slots=True, kw_only=True)
class DiffSummary:
    """Running counts over `Redecision`s, for the summary line and the exit status."""

    redecided: int = 0
    changed: int = 0
    more_permissive: int = 0
    stricter: int = 0
    not_recorded: int = 0
    unknown_role: int = 0

    def add(self, item: Redecision) -> None:
        """Count one re-decided call."""
        self.redecided += 1
        self.not_recorded += not item.old_recorded
        self.unknown_role += item.role == UNKNOWN_ROLE
        if item.changed:
            self.changed += 1
            if item.more_permissive:
                self.more_permissive += 1
            else:
                self.stricter += 1

    def line(self) -> str:
        """`N calls re-decided, M would change (A more permissive, B stricter)`."""
        return (
            f"{self.redecided} calls re-decided, {self.changed} would change"
            f" ({self.more_permissive} more permissive, {self.stricter} stricter)"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Pending:
    """A call re-decided under the candidate, waiting for its recorded decision."""

    record: Record
    request: ToolRequest
    payload: Mapping[str, Any]
    workspace_recorded: bool
    verdict: Verdict


def redecide(
    records: Iterable[Record],
    candidate: LoadedPolicy,
    *,
    current: LoadedPolicy | None,
    fallback_workspace: Path,
    protected: tuple[Path, ...] = (),
    home: Path | None = None,
) -> Iterator[Redecision]:
    """Every `tool.requested` call in `records` (log order), decided again under `candidate`.

    The old decision is the call's recorded `policy.decided` (the policy's verdict, not a
    human's answer to it). A call with none is decided under `current` instead, with
    `old_recorded` False; `current` None stands for "no valid policy", which denies everything.
    Calls are yielded when their recorded decision arrives; those without one come last.
    A session without a recorded workspace is judged in `fallback_workspace`.
    """
    workspaces: dict[str, str | None] = {}
    roles: dict[tuple[str, str], str] = {}
    pending: dict[tuple[str, str], _Pending] = {}

    # Logs repeat themselves (`git status`, `pytest -q` …): a request seen again in the same
    # workspace and role gets the verdict it got a moment ago, as the file system holds still
    # for the length of a diff. Bounded, so memory stays flat on any log.
    @lru_cache(maxsize=VERDICT_CACHE)
    def judge(request: ToolRequest) -> Verdict:
        return decide(candidate, request, protected=protected, home=home)

    for record in records:
        kind = record.kind
        if kind == "tool.requested":
            payload = _object(record.payload_json)
            if payload.get("announced"):  # the agent's own account; the gate decided another
                continue
            key = (record.session_id, str(payload.get("call_id", "")))
            if (earlier := pending.pop(key, None)) is not None:  # a retried call id
                yield _against_current(earlier, current, protected, home=home)
            pending[key] = _pending(
                record,
                payload,
                judge,
                roles=roles,
                workspaces=workspaces,
                fallback=fallback_workspace,
            )
        elif kind == "policy.decided":
            payload = _object(record.payload_json)
            if payload.get("source") not in POLICY_SOURCES:  # an answer follows the verdict
                continue
            key = (record.session_id, str(payload.get("call_id", "")))
            if (waiting := pending.pop(key, None)) is not None:
                old = _decision(payload.get("decision"))
                rule = payload.get("rule_id")
                yield _result(waiting, old, rule if isinstance(rule, str) else None, recorded=True)
        elif kind == "agent.started":
            payload = _object(record.payload_json)
            role = payload.get("role")
            agent = (record.session_id, str(payload.get("agent_id", "")))
            roles[agent] = role if isinstance(role, str) and role else UNKNOWN_ROLE
        elif kind == "session.created":
            workspace = _object(record.payload_json).get("workspace")
            workspaces[record.session_id] = workspace if isinstance(workspace, str) else None
    for waiting in pending.values():
        yield _against_current(waiting, current, protected, home=home)


def request_of(payload: Mapping[str, Any], role: str, workspace: Path) -> ToolRequest:
    """The `ToolRequest` a recorded `tool.requested` payload stands for.

    A tool kind Quarterdeck does not know is read as `other`, ACP's catch-all kind.
    """
    try:
        tool = ToolKind(str(payload.get("tool")))
    except ValueError:
        tool = ToolKind.OTHER
    command = payload.get("command")
    raw_paths = payload.get("paths")
    paths = raw_paths if isinstance(raw_paths, list) else []
    cwd = payload.get("cwd")
    raw_input = payload.get("raw_input")
    url = raw_input.get("url") if isinstance(raw_input, dict) else None
    return ToolRequest(
        tool=tool,
        role=role,
        workspace=workspace,
        command=command if isinstance(command, str) else None,
        paths=tuple(p for p in paths if isinstance(p, str)),
        url=url if isinstance(url, str) else None,
        cwd=Path(cwd) if isinstance(cwd, str) and cwd else None,
    )


def _pending(
    record: Record,
    payload: Mapping[str, Any],
    judge: Callable[[ToolRequest], Verdict],
    *,
    roles: Mapping[tuple[str, str], str],
    workspaces: Mapping[str, str | None],
    fallback: Path,
) -> _Pending:
    recorded_role = payload.get("role")
    role = (
        recorded_role
        if isinstance(recorded_role, str) and recorded_role
        else roles.get((record.session_id, str(payload.get("agent_id", ""))), UNKNOWN_ROLE)
    )
    recorded = workspaces.get(record.session_id)
    request = request_of(payload, role, Path(recorded) if recorded else fallback)
    return _Pending(
        record=record,
        request=request,
        payload=payload,
        workspace_recorded=bool(recorded),
        verdict=judge(request),
    )


def _against_current(
    waiting: _Pending,
    current: LoadedPolicy | None,
    protected: tuple[Path, ...],
    *,
    home: Path | None,
) -> Redecision:
    if current is None:
        return _result(waiting, Decision.DENY, None, recorded=False)
    verdict = decide(current, waiting.request, protected=protected, home=home)
    return _result(waiting, verdict.decision, verdict.rule_id, recorded=False)


def _result(
    waiting: _Pending, old: Decision, old_rule: str | None, *, recorded: bool
) -> Redecision:
    request, verdict = waiting.request, waiting.verdict
    return Redecision(
        session_id=waiting.record.session_id,
        seq=waiting.record.seq,
        call_id=str(waiting.payload.get("call_id", "")),
        agent_id=str(waiting.payload.get("agent_id", "")),
        role=request.role,
        tool=str(waiting.payload.get("tool", request.tool)),
        command=request.command,
        paths=request.paths,
        workspace=str(request.workspace),
        workspace_recorded=waiting.workspace_recorded,
        old=old,
        old_rule=old_rule,
        old_recorded=recorded,
        new=verdict.decision,
        new_rule=verdict.rule_id,
        new_reason=verdict.reason,
    )


def _object(payload_json: str) -> Mapping[str, Any]:
    # The log is schema-checked on the way in, but an imported or hand-made record must not
    # stop a whole diff: anything that is not an object reads as an empty one.
    try:
        value = orjson.loads(payload_json)
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _decision(value: object) -> Decision:
    try:
        return Decision(str(value))
    except ValueError:
        return Decision.DENY  # a recorded value we cannot read: assume the strictest
