"""One action, one decision, against an agent process that asks and acts like fast-agent."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from agents.approvals.broker import (
    ApprovalBroker,
    BrokerEvent,
    Outcome,
    PendingApproval,
    RequestAdded,
)
from agents.auth.gate import AuthGate
from agents.auth.holder import PolicyHolder
from agents.backends.acp import AcpAgent, AgentSpec
from agents.backends.executor import DENIED
from sessions.store.event_store import EventStore
from sessions.store.record import Record

AGENT = Path(__file__).parent / "agents" / "fastlike_agent.py"
SESSION = "sess-corr"


@dataclass
class Rig:
    """A real gate and broker that answer every approval with ``answer``, and the log."""

    store: EventStore
    broker: ApprovalBroker
    workspace: Path
    agent: AcpAgent
    answer: Outcome = Outcome.APPROVED_ONCE
    asked: list[PendingApproval] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    _answering: set[asyncio.Task[Any]] = field(default_factory=set)

    def on_broker(self, event: BrokerEvent) -> None:
        if isinstance(event, RequestAdded):
            self.asked.append(event.approval)
            task = asyncio.get_running_loop().create_task(
                self.broker.resolve(event.approval.approval_id, self.answer, decided_by="ann")
            )
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)

    async def run(self, *lines: str) -> list[dict[str, Any]]:
        """Prompt with ``***CALL_TOOL`` lines; the agent's findings, one per action."""
        assert await self.agent.prompt("\n".join(lines)) == "end_turn"
        texts = [r.payload["text"] for r in self.events("agent.message")]
        found: list[dict[str, Any]] = json.loads(texts[-1])
        return found

    def events(self, kind: str) -> list[Record]:
        self.store.flush()
        return [r for r in self.records if r.kind == kind]

    def decided(self, prefix: str) -> list[dict[str, Any]]:
        """The ``policy.decided`` payloads of the executions whose call id starts ``prefix``."""
        return [
            r.payload
            for r in self.events("policy.decided")
            if r.payload["call_id"].startswith(prefix)
        ]


@pytest.fixture
async def rig(
    tmp_path: Path, make_store: Callable[..., EventStore], monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Rig]:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    workspace = tmp_path / "ws"
    workspace.mkdir()
    store = make_store()
    holder = PolicyHolder(None)
    holder.load()
    broker = ApprovalBroker(store, timeout_s=60)
    gate = AuthGate(holder, store, broker, home=home)
    agent = AcpAgent(
        AgentSpec(command=sys.executable, args=(str(AGENT),)),
        session_id=SESSION,
        agent_id="impl-1",
        role="implementer",
        workspace=workspace,
        store=store,
        gate=gate,
        log_dir=tmp_path / "logs",
    )
    rig = Rig(store, broker, workspace.resolve(), agent)
    store.subscribe(rig.records.extend)
    broker.subscribe(rig.on_broker)
    await agent.start()
    yield rig
    await agent.stop()


def _write(path: Path, content: str, **knobs: object) -> str:
    return "***CALL_TOOL write_text_file " + json.dumps(
        {"path": str(path), "content": content, **knobs}
    )


def _execute(command: str, **knobs: object) -> str:
    return "***CALL_TOOL execute " + json.dumps({"command": command, **knobs})


async def test_an_edit_is_asked_once_with_its_path_and_diff_and_written_under_that_approval(
    rig: Rig,
) -> None:
    envrc = rig.workspace / ".envrc"  # agent configuration: the default policy asks
    [found] = await rig.run(_write(envrc, "export X=1\n"))
    assert found["permission"] == "allow_once" and found["write"] == "ok"
    assert envrc.read_text() == "export X=1\n"

    [approval] = rig.asked  # one action, one question
    assert approval.request.paths == (str(envrc),)
    assert approval.diff is not None and "+export X=1" in approval.diff
    assert str(envrc) in approval.summary
    [requested] = rig.events("approval.requested")
    assert requested.payload["paths"] == [str(envrc)] and "+export X=1" in requested.payload["diff"]

    [verdict, write] = rig.decided("write-")
    assert verdict["decision"] == "ask"
    assert (write["decision"], write["source"]) == ("allow", "permission")
    assert write["approval_id"] == approval.approval_id
    assert write["rides_on"] == approval.call_id  # the agent's toolCallId
    [intent] = rig.events("tool.intent")
    assert intent.payload["approval_id"] == approval.approval_id
    # The read fast-agent makes before writing rides on the same decision, asked nothing.
    [read] = rig.decided("read-")
    assert read["decision"] == "allow" and read["rides_on"] == approval.call_id


async def test_a_command_is_asked_once_with_its_exact_line_and_run_as_sh_lc(rig: Rig) -> None:
    (rig.workspace / "scratch.txt").write_text("x")
    [found] = await rig.run(_execute("rm scratch.txt"))
    assert found["permission"] == "allow_once" and found["terminal"]["exit"] == 0
    assert not (rig.workspace / "scratch.txt").exists()

    [approval] = rig.asked
    assert approval.request.command == "rm scratch.txt"
    assert "rm scratch.txt" in approval.summary
    [verdict, run] = rig.decided("exec-")
    assert verdict["decision"] == "ask"  # the policy's own verdict stays on record …
    assert (run["decision"], run["source"]) == ("allow", "permission")  # … answered once
    assert run["approval_id"] == approval.approval_id and run["rides_on"] == "pending"
    [requested] = [r for r in rig.events("tool.requested") if r.payload["call_id"] == "pending"]
    assert requested.payload["raw_input"] == {"command": "rm scratch.txt"}


async def test_what_was_not_approved_is_decided_on_its_own(rig: Rig) -> None:
    for name in ("a.txt", "b.txt"):
        (rig.workspace / name).write_text("x")
    [found] = await rig.run(_execute("rm a.txt", run="rm b.txt"))
    assert found["terminal"]["exit"] == 0
    assert [a.request.command for a in rig.asked] == ["rm a.txt", "/bin/sh -lc 'rm b.txt'"]
    [_, run] = rig.decided("exec-")
    assert run["source"] == "human" and run.get("rides_on") is None

    # A second write of an approved edit is asked again: an approval covers one action.
    envrc = rig.workspace / ".envrc"
    rig.asked.clear()
    await rig.run(_write(envrc, "A=1\n", times=2))
    assert [a.summary for a in rig.asked] == [f"write_text_file: {envrc}", f"write {envrc}"]


async def test_a_refused_permission_refuses_the_execution_the_agent_tries_anyway(
    rig: Rig,
) -> None:
    rig.answer = Outcome.DENIED
    envrc = rig.workspace / ".envrc"
    [found] = await rig.run(_write(envrc, "export X=1\n", anyway=True))
    assert found["permission"] == "reject_once"
    assert found["write"]["error"] == DENIED
    assert not envrc.exists()
    assert len(rig.asked) == 1  # refused once, not asked again
    [verdict, write] = rig.decided("write-")
    assert verdict["decision"] == "ask"  # the policy's own verdict, then the refusal it rides on
    assert (write["decision"], write["source"]) == ("deny", "permission")
    assert write["rides_on"] == rig.asked[0].call_id
    assert any("tried anyway" in e.payload["reason"] for e in rig.events("escalation.raised"))


async def test_permits_lapse_when_the_turn_ends(rig: Rig) -> None:
    (rig.workspace / "c.txt").write_text("x")
    # The permission is approved, but the agent carries it out only in a later turn.
    [found] = await rig.run(_execute("rm c.txt", run="true"))
    assert found["terminal"]["exit"] == 0
    rig.asked.clear()
    await rig.run(_execute("true", run="rm c.txt"))
    assert [a.request.command for a in rig.asked] == ["/bin/sh -lc 'rm c.txt'"]


async def test_a_progress_meter_is_logged_once_in_its_last_state(rig: Rig) -> None:
    meter = "for i in 1 2 3 4 5 6 7 8 9; do printf '\\r%s0%%' $i; done; printf '\\r100%%\\ndone\\n'"
    [found] = await rig.run(_execute(meter))
    assert found["terminal"]["output"].endswith("100%\ndone\n")  # the agent gets every byte
    assert len(rig.asked) == 1  # asked for the loop once; its /bin/sh -lc run rides on that
    outputs = [r.payload["text"] for r in rig.events("tool.output")]
    assert outputs == ["100%\ndone\n"]
