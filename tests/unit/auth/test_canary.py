"""The policy canary: recorded calls re-decided under a candidate policy, from hand-built records."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from agents.auth.canary import UNKNOWN_ROLE, DiffSummary, Redecision, redecide, request_of
from agents.auth.compiled import LoadedPolicy
from agents.auth.loader import load_policy_text
from agents.auth.requests import Decision, ToolKind
from sessions.store.record import Record

ALLOW, ASK, DENY = Decision.ALLOW, Decision.ASK, Decision.DENY

ROLES = """
[roles.implementer]
tools = ["read", "edit", "execute", "search", "think"]
"""
OLD = (
    ROLES
    + """
[[rules]]
id = "listing"
decision = "allow"
commands = [["ls"]]

[[rules]]
id = "egress"
decision = "ask"
commands = [["curl"]]

[[rules]]
id = "removal"
decision = "ask"
commands = [["rm"]]
"""
)
NEW = OLD.replace('id = "egress"\ndecision = "ask"', 'id = "egress"\ndecision = "allow"').replace(
    'id = "removal"\ndecision = "ask"', 'id = "removal"\ndecision = "deny"'
)


@pytest.fixture(scope="module")
def old() -> LoadedPolicy:
    return load_policy_text(OLD)


@pytest.fixture(scope="module")
def new() -> LoadedPolicy:
    return load_policy_text(NEW)


class Log:
    """Builds records the way the store would number them (hashes are not checked here)."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self._session_seq: dict[str, int] = {}

    def add(self, session: str, kind: str, **payload: Any) -> Log:
        seq = len(self.records) + 1
        session_seq = self._session_seq.get(session, 0) + 1
        self._session_seq[session] = session_seq
        body = orjson.dumps(payload).decode()
        ts = "2026-01-01T00:00:00.000000Z"
        self.records.append(
            Record(seq, session, session_seq, ts, "test", kind, 1, body, "0" * 64, "0" * 64)
        )
        return self

    def session(self, session: str, workspace: Path | None) -> Log:
        fields = {"workspace": str(workspace)} if workspace is not None else {}
        return self.add(session, "session.created", title=session, **fields)

    def agent(self, session: str, agent: str, role: str) -> Log:
        return self.add(session, "agent.started", agent_id=agent, role=role, backend="demo")

    def call(
        self,
        session: str,
        call: str,
        command: str,
        decided: Decision | None,
        *,
        agent: str = "impl-1",
        source: str = "rule",
    ) -> Log:
        self.add(
            session, "tool.requested", agent_id=agent, call_id=call, tool="execute", command=command
        )
        if decided is not None:
            self.decided(session, call, decided, source=source)
        return self

    def decided(self, session: str, call: str, decision: Decision, *, source: str = "rule") -> Log:
        fields = {"call_id": call, "decision": decision.value, "source": source}
        return self.add(session, "policy.decided", policy_hash="a" * 64, **fields)


def run(log: Log, new: LoadedPolicy, current: LoadedPolicy | None, here: Path) -> list[Redecision]:
    return list(redecide(log.records, new, current=current, fallback_workspace=here))


def by_call(results: list[Redecision]) -> dict[str, Redecision]:
    return {r.call_id: r for r in results}


def test_each_call_is_compared_with_its_recorded_decision(
    tmp_path: Path, old: LoadedPolicy, new: LoadedPolicy
) -> None:
    log = Log().session("s1", tmp_path).agent("s1", "impl-1", "implementer")
    log.call("s1", "c1", "ls -la", ALLOW).call("s1", "c2", "curl https://example.com", ASK)
    log.call("s1", "c3", "rm build.log", ASK)
    results = by_call(run(log, new, old, tmp_path))
    assert (results["c1"].old, results["c1"].new, results["c1"].changed) == (ALLOW, ALLOW, False)
    looser = results["c2"]
    assert (looser.old, looser.new, looser.new_rule) == (ASK, ALLOW, "egress")
    assert looser.changed and looser.more_permissive and looser.old_recorded
    stricter = results["c3"]
    assert (stricter.old, stricter.new, stricter.new_rule) == (ASK, DENY, "removal")
    assert stricter.changed and not stricter.more_permissive
    assert (stricter.seq, stricter.session_id, stricter.role) == (7, "s1", "implementer")
    assert stricter.subject == "rm build.log"


def test_the_summary_counts_both_directions(
    tmp_path: Path, old: LoadedPolicy, new: LoadedPolicy
) -> None:
    log = Log().session("s1", tmp_path).agent("s1", "impl-1", "implementer")
    log.call("s1", "c1", "ls", ALLOW).call("s1", "c2", "curl x", ASK).call("s1", "c3", "rm y", ASK)
    log.call("s1", "c4", "rm z", ASK)
    summary = DiffSummary()
    for item in run(log, new, old, tmp_path):
        summary.add(item)
    assert summary.line() == "4 calls re-decided, 3 would change (1 more permissive, 2 stricter)"
    assert (summary.not_recorded, summary.unknown_role) == (0, 0)


def test_the_recorded_decision_wins_over_what_the_current_policy_says(
    tmp_path: Path, old: LoadedPolicy
) -> None:
    # The recording says deny (say an older policy); re-deciding under the same text allows it.
    log = Log().session("s1", tmp_path).agent("s1", "impl-1", "implementer")
    log.call("s1", "c1", "ls", DENY)
    [item] = run(log, old, old, tmp_path)
    assert (item.old, item.new, item.more_permissive) == (DENY, ALLOW, True)


def test_a_human_answer_is_not_the_old_decision(
    tmp_path: Path, old: LoadedPolicy, new: LoadedPolicy
) -> None:
    # An "ask" is recorded twice: the policy's verdict, then the human's answer to it.
    log = Log().session("s1", tmp_path).agent("s1", "impl-1", "implementer")
    log.call("s1", "c1", "curl x", ASK).decided("s1", "c1", ALLOW, source="human")
    [item] = run(log, new, old, tmp_path)
    assert (item.old, item.new) == (ASK, ALLOW)


def test_a_call_without_a_recorded_decision_is_compared_with_the_current_policy(
    tmp_path: Path, old: LoadedPolicy, new: LoadedPolicy
) -> None:
    log = Log().session("s1", tmp_path).agent("s1", "impl-1", "implementer")
    log.call("s1", "c1", "rm x", None).call("s1", "c2", "ls", ALLOW)
    results = run(log, new, old, tmp_path)
    assert [r.call_id for r in results] == ["c2", "c1"]  # the undecided one comes last
    missing = by_call(results)["c1"]
    assert (missing.old, missing.old_rule, missing.old_recorded) == (ASK, "removal", False)
    assert missing.new is DENY


def test_without_a_valid_current_policy_a_missing_decision_counts_as_deny(
    tmp_path: Path, new: LoadedPolicy
) -> None:
    log = Log().session("s1", tmp_path).agent("s1", "impl-1", "implementer")
    log.call("s1", "c1", "curl x", None)
    [item] = run(log, new, None, tmp_path)
    assert (item.old, item.old_recorded, item.new, item.more_permissive) == (
        DENY,
        False,
        ALLOW,
        True,
    )


def test_an_agent_without_agent_started_has_the_unknown_role_and_is_denied(
    tmp_path: Path, old: LoadedPolicy, new: LoadedPolicy
) -> None:
    log = Log().session("s1", tmp_path)
    log.call("s1", "c1", "ls", ALLOW, agent="ghost")
    [item] = run(log, new, old, tmp_path)
    assert item.role == UNKNOWN_ROLE
    assert (item.old, item.new, item.changed, item.more_permissive) == (ALLOW, DENY, True, False)
    assert "has no profile" in item.new_reason
    summary = DiffSummary()
    summary.add(item)
    assert summary.unknown_role == 1


def test_roles_come_from_the_agent_started_of_the_same_session(
    tmp_path: Path, old: LoadedPolicy, new: LoadedPolicy
) -> None:
    log = Log().session("s1", tmp_path).session("s2", tmp_path)
    log.agent("s1", "impl-1", "implementer")
    log.call("s2", "c1", "ls", ALLOW)  # impl-1 never started in s2
    [item] = run(log, new, old, tmp_path)
    assert item.role == UNKNOWN_ROLE


def test_the_same_call_id_in_two_sessions_is_two_calls(
    tmp_path: Path, old: LoadedPolicy, new: LoadedPolicy
) -> None:
    log = Log().session("s1", tmp_path).session("s2", tmp_path)
    log.agent("s1", "impl-1", "implementer").agent("s2", "impl-1", "implementer")
    log.call("s1", "c1", "curl x", None).call("s2", "c1", "rm y", None)
    log.decided("s2", "c1", ASK).decided("s1", "c1", ASK)
    results = run(log, new, old, tmp_path)
    assert [(r.session_id, r.new) for r in results] == [("s2", DENY), ("s1", ALLOW)]
    assert all(r.old_recorded for r in results)


def test_a_session_without_a_workspace_is_judged_in_the_fallback(
    tmp_path: Path, old: LoadedPolicy, new: LoadedPolicy
) -> None:
    inside = tmp_path / "ws"
    inside.mkdir()
    log = Log().session("s1", None).agent("s1", "impl-1", "implementer")
    log.call("s1", "c1", "ls", ALLOW)
    [item] = run(log, new, old, inside)
    assert (item.workspace, item.workspace_recorded) == (str(inside), False)


def test_records_are_consumed_lazily(tmp_path: Path, old: LoadedPolicy, new: LoadedPolicy) -> None:
    log = Log().session("s1", tmp_path).agent("s1", "impl-1", "implementer")
    for i in range(50):
        log.call("s1", f"c{i}", "ls", ALLOW)
    consumed = 0

    def feed() -> Iterator[Record]:
        nonlocal consumed
        for record in log.records:
            consumed += 1
            yield record

    results = redecide(feed(), new, current=old, fallback_workspace=tmp_path)
    first = next(results)
    assert first.call_id == "c0"
    assert consumed == 4  # session, agent, request, decision: nothing read ahead
    assert sum(1 for _ in results) == 49


def test_a_malformed_payload_does_not_stop_the_diff(
    tmp_path: Path, old: LoadedPolicy, new: LoadedPolicy
) -> None:
    log = Log().session("s1", tmp_path).agent("s1", "impl-1", "implementer")
    log.records.append(log.records[-1]._replace(seq=3, kind="tool.requested", payload_json="[]"))
    log.call("s1", "c1", "ls", ALLOW)
    results = run(log, new, old, tmp_path)
    assert [r.call_id for r in results] == ["c1", ""]
    assert results[1].role == UNKNOWN_ROLE and results[1].new is DENY


def test_request_of_reads_file_tools_and_maps_unknown_kinds_to_other(tmp_path: Path) -> None:
    payload = {"tool": "read", "paths": ["a.py", 7], "cwd": "src"}
    request = request_of(payload, "implementer", tmp_path)
    assert (request.tool, request.paths, request.cwd) == (ToolKind.READ, ("a.py",), Path("src"))
    fetch = request_of({"tool": "fetch", "raw_input": {"url": "https://x.test"}}, "r", tmp_path)
    assert fetch.url == "https://x.test"
    assert request_of({"tool": "teleport"}, "r", tmp_path).tool is ToolKind.OTHER
