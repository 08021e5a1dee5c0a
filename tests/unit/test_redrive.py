"""The pure parts of the re-drive, on hand-built records: runs, tapes, answers, the team."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import orjson

from agents.redrive.journal import Divergence, Journal, Kind
from agents.redrive.player import describe, same_answer
from agents.redrive.recording import read_recording, split_runs
from agents.redrive.runner import scratch_store
from agents.redrive.session import masked_secrets
from agents.redrive.tape import TapeBuilder
from agents.redrive.team import recorded_team
from agents.team import Backend
from sessions.schema.agent import AgentStopped
from sessions.store.crypto import MARKER
from sessions.store.reading import load_session
from sessions.store.record import Record


class Log:
    """Appends records with consecutive seqs."""

    def __init__(self) -> None:
        self.records: list[Record] = []

    def add(self, actor: str, kind: str, **payload: Any) -> Record:
        seq = len(self.records) + 1
        data = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode()
        record = Record(
            seq, "s-1", seq, "2026-01-01T00:00:00.000000Z", actor, kind, 1, data, "", ""
        )
        self.records.append(record)
        return record

    def frame(self, agent: str, direction: str, message: dict[str, Any], method: str) -> Record:
        return self.add(
            agent, "raw", source="acp", direction=direction, method=method, data=message
        )

    def state(self, old: str, new: str, actor: str = "orchestrator") -> Record:
        return self.add(actor, "session.state_changed", from_state=old, to_state=new)


def _opened(log: Log, agent: str) -> None:
    log.frame(
        agent,
        "out",
        {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {}},
        "initialize",
    )
    log.frame(
        agent, "in", {"jsonrpc": "2.0", "id": 0, "result": {"protocolVersion": 1}}, "initialize"
    )
    log.frame(
        agent,
        "out",
        {"jsonrpc": "2.0", "id": 1, "method": "session/new", "params": {}},
        "session/new",
    )
    log.frame(
        agent, "in", {"jsonrpc": "2.0", "id": 1, "result": {"sessionId": "a-1"}}, "session/new"
    )


def _prompt(log: Log, agent: str, text: str, request_id: int = 2) -> None:
    params = {"sessionId": "a-1", "prompt": [{"type": "text", "text": text}]}
    message = {"jsonrpc": "2.0", "id": request_id, "method": "session/prompt", "params": params}
    log.frame(agent, "out", message, "session/prompt")


PERMISSION = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "session/request_permission",
    "params": {
        "sessionId": "a-1",
        "toolCall": {"toolCallId": "tc-1", "title": "Edit"},
        "options": [
            {"optionId": "yes", "name": "Yes", "kind": "allow_once"},
            {"optionId": "no", "name": "No", "kind": "reject_once"},
        ],
    },
}


def _selected(option: str) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": 0,
        "result": {"outcome": {"outcome": "selected", "optionId": option}},
    }


CANCELLED = {"jsonrpc": "2.0", "id": 0, "result": {"outcome": {"outcome": "cancelled"}}}


def test_a_turn_holds_its_exchanges_with_the_gate_calls_that_served_them() -> None:
    log = Log()
    _opened(log, "implementer-1")
    _prompt(log, "implementer-1", "do it")
    log.frame("implementer-1", "in", PERMISSION, "session/request_permission")
    log.add(
        "implementer-1",
        "tool.requested",
        agent_id="implementer-1",
        call_id="tc-1",
        tool="edit",
        paths=["/w/a"],
    )
    decided = log.add("auth", "policy.decided", call_id="tc-1", decision="ask", source="default")
    log.add("human:me", "policy.decided", call_id="tc-1", decision="allow", source="human")
    log.frame("implementer-1", "out", _selected("yes"), "session/request_permission")
    read = {"jsonrpc": "2.0", "id": 1, "method": "fs/read_text_file", "params": {"path": "/w/a"}}
    log.frame("implementer-1", "in", read, "fs/read_text_file")
    log.add(
        "implementer-1",
        "tool.requested",
        agent_id="implementer-1",
        call_id="read-9",
        tool="read",
        paths=["/w/a"],
    )
    log.add(
        "auth", "policy.decided", call_id="read-9", decision="allow", source="rule", rule_id="r"
    )
    log.frame(
        "implementer-1",
        "out",
        {"jsonrpc": "2.0", "id": 1, "result": {"content": "x"}},
        "fs/read_text_file",
    )
    log.frame(
        "implementer-1",
        "in",
        {"jsonrpc": "2.0", "id": 2, "result": {"stopReason": "end_turn"}},
        "session/prompt",
    )

    builder = TapeBuilder()
    for record in log.records:
        builder.add(record)

    (process,) = builder.tapes["implementer-1"].processes
    (turn,) = process.turns
    assert process.ready and turn.answered and turn.text == "do it"
    permission = turn.take("session/request_permission")
    assert permission is not None and permission.ok
    (call,) = permission.calls
    assert (call.verdict, call.final, call.allowed, call.seq) == ("ask", "allow", True, decided.seq)
    reading = turn.take("fs/read_text_file")
    assert reading is not None and [c.call_id for c in reading.calls] == ["read-9"]
    assert reading.calls[0].rule_id == "r" and reading.peek_call() is reading.calls[0]


def test_a_turn_the_agent_died_in_is_unanswered_and_its_process_dead() -> None:
    log = Log()
    _opened(log, "planner-1")
    _prompt(log, "planner-1", "plan")
    log.add("planner-1", "agent.failed", agent_id="planner-1", error="exited with code 9")
    _opened(log, "planner-1")
    builder = TapeBuilder()
    for record in log.records:
        builder.add(record)
    first, second = builder.tapes["planner-1"].processes
    assert not first.turns[0].answered and first.death == "exited with code 9"
    assert second.ready and not second.turns and second.death is None


def test_a_resumed_session_is_two_runs_and_a_cancelled_dead_one_is_one() -> None:
    log = Log()
    log.add("orchestrator", "session.created", title="t", workspace="/w", context={"task": "x"})
    log.state("created", "running")
    log.add("orchestrator", "handoff", from_role="planner", to_role="orchestrator")
    recovery = log.state("running", "interrupted")
    log.add(
        "orchestrator", "tool.result", call_id="c", idempotency_key="k", status="outcome_unknown"
    )
    log.state("interrupted", "running")
    log.add("orchestrator", "handoff", from_role="orchestrator", to_role="implementer")
    log.add("orchestrator", "session.finished", outcome="succeeded")
    at = recovery.seq - 1
    assert split_runs(log.records) == [(0, at, True), (at, len(log.records), True)]

    recording = read_recording(log.records, [(1, "/w")])
    first, second = recording.segments
    assert (first.complete, second.complete) == (False, True)
    assert first.start is None and second.start is not None
    assert [h.to_role for h in second.handoffs] == ["implementer"]

    dead = Log()
    dead.add("orchestrator", "session.created", title="t", workspace="/w", context={"task": "x"})
    dead.state("created", "running")
    dead.state("running", "interrupted")
    dead.state("interrupted", "cancelled", actor="human:me")
    dead.add("human:me", "session.finished", outcome="cancelled")
    runs = split_runs(dead.records)
    assert [is_run for _s, _e, is_run in runs] == [True, False]
    (only,) = read_recording(dead.records, [(1, "/w")]).segments
    assert not only.complete  # the cancel is bookkeeping: the run itself was cut short

    cancelled = Log()
    cancelled.add("orchestrator", "session.created", title="t", workspace="/w", context={})
    cancelled.state("created", "running")
    cancelled.add("orchestrator", "session.finished", outcome="cancelled")
    (stopped,) = read_recording(cancelled.records, [(1, "/w")]).segments
    assert not stopped.complete  # a human stopped it mid-step: no end of its own to compare


def test_a_fork_judges_its_copied_run_in_the_origin_workspace() -> None:
    log = Log()
    log.add("orchestrator", "session.created", title="t", workspace="/fork", context={"task": "x"})
    log.state("created", "running")  # a copy of the origin's
    log.state("running", "interrupted")
    log.state("interrupted", "running")
    segments = read_recording(log.records, [(2, "/origin"), (3, "/fork")]).segments
    assert [str(s.workspace) for s in segments] == ["/origin", "/fork"]


def test_answers_compare_by_option_and_a_cancel_counts_as_a_no() -> None:
    exchange_log = Log()
    _opened(exchange_log, "a-1")
    _prompt(exchange_log, "a-1", "x")
    exchange_log.frame("a-1", "in", PERMISSION, "session/request_permission")
    builder = TapeBuilder()
    for record in exchange_log.records:
        builder.add(record)
    exchange = builder.tapes["a-1"].processes[0].turns[0].take("session/request_permission")
    assert same_answer(_selected("yes"), _selected("yes"), exchange)
    assert not same_answer(_selected("yes"), _selected("no"), exchange)
    assert same_answer(CANCELLED, _selected("no"), exchange)
    assert not same_answer(CANCELLED, _selected("yes"), exchange)
    refused = {"jsonrpc": "2.0", "id": 0, "error": {"code": -32010, "message": "refused"}}
    assert not same_answer(refused, _selected("yes"), exchange)
    assert same_answer(refused, {**refused, "error": {"code": -32010, "message": "other"}}, None)
    assert describe(_selected("no"), exchange) == "selected no (reject_once)"
    assert describe(refused, exchange) == "error -32010"


def test_the_team_is_read_off_the_log() -> None:
    log = Log()
    log.add("planner-1", "agent.started", agent_id="planner-1", role="planner", backend="acp")
    log.add("orchestrator", "handoff", from_role="implementer", to_role="validator", attempt=2)
    log.add("validator", "validation.result", check="tests", passed=True, command=["pytest"])
    log.add("auth", "approval.requested", agent_id="reviewer", call_id="review-2", approval_id="a")
    team = recorded_team(log.records, "mine")
    assert team.steps() == ["planner", "implementer", "validator", "reviewer"]
    assert team.roles["reviewer"].backend is Backend.HUMAN
    assert [c.command for c in team.roles["validator"].checks] == [["pytest"]]
    assert team.workflow.max_attempts == 2 and team.name == "mine"


def test_a_role_prompted_with_the_bare_task_took_it_verbatim() -> None:
    task = '***CALL_TOOL execute {"command": "ls"}'
    log = Log()
    log.add("orchestrator", "session.created", title="t", context={"task": task})
    for agent, role, text in (
        ("implementer-1", "implementer", task),
        ("planner-1", "planner", f"Plan the task below.\n\nTask: {task}"),
    ):
        log.add(agent, "agent.started", agent_id=agent, role=role, backend="acp")
        _opened(log, agent)
        _prompt(log, agent, text)
    team = recorded_team(log.records, "mine")
    assert team.roles["implementer"].prompt == "verbatim"
    assert team.roles["planner"].prompt == "role"


async def test_past_the_end_of_a_cut_run_is_no_divergence_but_of_a_whole_one_is() -> None:
    never = asyncio.get_running_loop().create_future()
    missing = Divergence(
        seq=5, kind=Kind.HANDOFF, expected="no further handoff", actual="a → b (attempt 1)"
    )
    for complete, stopped in ((False, False), (True, True)):
        journal = Journal()
        task: asyncio.Task[object] = asyncio.ensure_future(never)
        journal.begin(task, complete=complete, first_seq=1)
        journal.beyond(missing)
        await asyncio.gather(task, return_exceptions=True)
        assert task.cancelled() and (journal.stopped, journal.ended) == (stopped, not stopped)
        assert [d.stopped for d in journal.divergences] == ([True] if stopped else [])
        never = asyncio.get_running_loop().create_future()


def test_a_masked_stored_secret_counts_as_its_value() -> None:
    find = masked_secrets(["openai", "github"])
    assert find('curl -H "Authorization: Bearer [REDACTED:openai]" https://x') == "openai"
    assert find("mail [REDACTED:email] about it") is None  # PII is masked too, but no secret
    assert find("nothing here") is None


async def test_the_scratch_log_of_an_encrypted_session_is_sealed(tmp_path: Path) -> None:
    for sealed in (True, False):
        scratch = tmp_path / str(sealed)
        store = scratch_store(scratch, sealed=sealed)
        try:
            await store.append_durable("s-1", "a", AgentStopped(agent_id="a"))
            (record,) = load_session(store.engine, "s-1")  # readers of it decrypt
            assert record.payload["agent_id"] == "a"
        finally:
            store.close()
        conn = sqlite3.connect(scratch / "redrive.db")
        try:
            (stored,) = conn.execute("SELECT payload FROM event").fetchone()
        finally:
            conn.close()
        assert stored.startswith(MARKER) is sealed
