"""The demo agent as a real subprocess, driven by a real ACP client over stdio."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from acp import RequestError, text_block

from agents.demo.playbook import load_playbook
from tests.integration.acp_test_client import REPO_ROOT, AgentRun, WorkspaceClient, run_demo_agent

DEMO = REPO_ROOT / "sessions" / "data" / "demo"
PLAYBOOKS = DEMO / "playbooks"


def _pytest(workspace: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=workspace,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        capture_output=True,
        text=True,
        check=False,
    )


def _git(workspace: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=workspace,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A fresh copy of the sample workspace, committed to git so a reviewer can read the diff."""
    target = tmp_path / "ws"
    shutil.copytree(
        DEMO / "workspace", target, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache")
    )
    _git(target, "init", "-q")
    _git(target, "add", ".")
    _git(target, "commit", "-q", "-m", "sample")
    return target


def _playbook(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "playbook.toml"
    path.write_text('name = "test"\n' + text, encoding="utf-8")
    return path


async def _prompt(run: AgentRun) -> str:
    response = await run.conn.prompt(session_id=run.session_id, prompt=[text_block("go")])
    return str(response.stop_reason)


def _text(updates: list[Any]) -> str:
    return "".join(u.content.text for u in updates)


def _failure_text(client: WorkspaceClient, tool_id: str) -> str:
    [failed] = [
        u
        for u in client.of_kind("tool_call_update")
        if u.tool_call_id == tool_id and u.status == "failed"
    ]
    return str(failed.content[0].content.text)


async def test_planner_implementer_and_reviewer_fix_the_sample_bug(
    workspace: Path, tmp_path: Path
) -> None:
    before = _pytest(workspace)
    assert before.returncode == 1 and "1 failed, 4 passed" in before.stdout, before.stdout

    planner = WorkspaceClient(workspace)
    async with run_demo_agent(planner, PLAYBOOKS / "planner.toml", tmp_path / "p.log") as run:
        assert run.init.protocol_version == 1
        assert run.init.agent_info is not None and run.init.agent_info.name == "quarterdeck-demo"
        assert run.init.agent_capabilities is not None
        assert not run.init.agent_capabilities.load_session
        assert not run.init.auth_methods
        assert await _prompt(run) == "end_turn"
    [plan] = planner.of_kind("plan")
    assert [e.status for e in plan.entries] == ["completed", "pending", "pending", "pending"]
    assert len(planner.of_kind("agent_thought_chunk")) > 1
    chunks = planner.of_kind("agent_message_chunk")
    assert len(chunks) > 1 and "range(len(values) - window + 1)" in _text(chunks)
    assert list(planner.tool_statuses().values()) == [["pending", "completed"]] * 3
    assert set(planner.calls) == {"fs/read_text_file"}

    implementer = WorkspaceClient(workspace, permission_kind="allow_once")
    async with run_demo_agent(
        implementer, PLAYBOOKS / "implementer.toml", tmp_path / "i.log"
    ) as run:
        assert await _prompt(run) == "end_turn", run.stderr.read_text()
    [asked] = implementer.permissions
    assert [(o.option_id, o.kind) for o in asked.options] == [
        ("opt-1", "allow_once"),
        ("opt-2", "allow_always"),
        ("opt-3", "reject_once"),
        ("opt-4", "reject_always"),
    ]
    assert asked.tool_call.kind == "edit" and asked.answered == "allow_once"
    kinds = {u.tool_call_id: u.kind for u in implementer.of_kind("tool_call")}
    statuses = implementer.tool_statuses()
    titles = implementer.titles()
    assert list(kinds.values()) == [
        *("read", "edit", "execute", "edit", "execute", "execute", "execute", "read")
    ]
    read, ask, reproduce, write, tests, make, cksum, secret = kinds
    assert statuses[read] == statuses[ask] == statuses[write] == ["pending", "completed"]
    assert "Reproduce" in titles[reproduce] and statuses[reproduce][-1] == "completed"
    assert statuses[tests] == statuses[make] == statuses[cksum]
    assert statuses[cksum] == ["pending", "in_progress", "completed"]
    # The ask names the file it is about and carries the proposed change as a diff.
    assert [loc.path for loc in asked.tool_call.locations] == [str(workspace / "calc/stats.py")]
    [proposed] = asked.tool_call.content
    assert proposed.type == "diff" and "- window + 1)]" in proposed.new_text
    assert statuses[secret] == ["pending", "failed"]
    assert "id_rsa is outside the workspace" in _failure_text(implementer, secret)
    assert "make" in titles[make] and "deploy key" in titles[secret]
    [edit] = [u for u in implementer.of_kind("tool_call") if u.tool_call_id == write]
    [diff] = edit.content
    assert diff.type == "diff" and diff.path == str(workspace / "calc" / "stats.py")
    assert "- window)]" in diff.old_text and "- window + 1)]" in diff.new_text
    ran = [u for u in implementer.of_kind("tool_call_update") if u.tool_call_id == tests]
    assert ran[-1].raw_output["exit_code"] == 0 and "5 passed" in ran[-1].raw_output["output"]
    assert [p.status for p in implementer.of_kind("plan")[-1].entries] == ["completed"] * 3
    assert "Fixed moving_average" in _text(implementer.of_kind("agent_message_chunk"))
    for method in ("terminal/create", "terminal/wait_for_exit", "terminal/output"):
        assert method in implementer.calls
    assert implementer.calls.count("terminal/release") == 4  # reproduce, pytest, make, cksum

    after = _pytest(workspace)
    assert after.returncode == 0 and "5 passed" in after.stdout, after.stdout

    reviewer = WorkspaceClient(workspace)
    async with run_demo_agent(reviewer, PLAYBOOKS / "reviewer.toml", tmp_path / "r.log") as run:
        assert await _prompt(run) == "end_turn"
    diff_run = next(u for u in reviewer.of_kind("tool_call_update") if u.raw_output)
    assert (
        "+    return [mean(values[i : i + window]) for i in range(len(values) - window + 1)]"
        in (diff_run.raw_output["output"])
    )
    assert _text(reviewer.of_kind("agent_message_chunk")).startswith("Approved")


async def test_the_retry_playbook_fails_first_and_fixes_when_sent_back(
    workspace: Path, tmp_path: Path
) -> None:
    client = WorkspaceClient(workspace)
    path = PLAYBOOKS / "implementer_retry.toml"
    async with run_demo_agent(client, path, tmp_path / "a.log") as run:
        assert await _prompt(run) == "end_turn"
        first = _text(client.of_kind("agent_message_chunk"))
        assert (
            "Stopping:" in first
            and "ended with exit 1, expected exit 0" in first
            and "not reached" not in first
        )
        assert _pytest(workspace).returncode == 1
        assert await _prompt(run) == "end_turn"
    assert "Fixed on the second attempt" in _text(client.of_kind("agent_message_chunk"))
    assert _pytest(workspace).returncode == 0


async def test_a_rejected_permission_stops_before_the_edit(workspace: Path, tmp_path: Path) -> None:
    client = WorkspaceClient(workspace, permission_kind="reject_once")
    original = (workspace / "calc" / "stats.py").read_text()
    async with run_demo_agent(client, PLAYBOOKS / "implementer.toml", tmp_path / "a.log") as run:
        assert await _prompt(run) == "end_turn"
    assert [p.answered for p in client.permissions] == ["reject_once"]
    assert "fs/write_text_file" not in client.calls and "terminal/create" not in client.calls
    assert _text(client.of_kind("agent_message_chunk")) == "Stopping: permission reject_once"
    assert (workspace / "calc" / "stats.py").read_text() == original


async def test_a_denied_write_fails_its_tool_call_and_the_agent_goes_on(
    workspace: Path, tmp_path: Path
) -> None:
    playbook = _playbook(
        tmp_path,
        """
[[steps]]
kind = "write"
path = "notes.txt"
content = "hello\\n"

[[steps]]
kind = "message"
text = "still here"
""",
    )
    client = WorkspaceClient(workspace, refuse={"notes.txt"})
    async with run_demo_agent(client, playbook, tmp_path / "a.log") as run:
        assert await _prompt(run) == "end_turn"
    [(tool_id, statuses)] = client.tool_statuses().items()
    assert statuses == ["pending", "failed"]
    assert "denied by the test" in _failure_text(client, tool_id)
    assert client.calls == ["fs/write_text_file"]
    assert _text(client.of_kind("agent_message_chunk")) == "still here"
    assert not (workspace / "notes.txt").exists()


async def test_cancel_during_a_pause_ends_the_turn_cancelled(
    workspace: Path, tmp_path: Path
) -> None:
    playbook = _playbook(
        tmp_path,
        """
[[steps]]
kind = "message"
text = "pausing"

[[steps]]
kind = "pause"
seconds = 120

[[steps]]
kind = "message"
text = "never said"
""",
    )
    client = WorkspaceClient(workspace)
    async with run_demo_agent(client, playbook, tmp_path / "a.log", speed=1) as run:
        turn = asyncio.create_task(_prompt(run))
        await client.wait_for_update(lambda u: u.session_update == "agent_message_chunk")
        await run.conn.cancel(session_id=run.session_id)
        # A guard, not a timing assertion: without cancel support this would wait 120 s.
        assert await asyncio.wait_for(turn, timeout=60) == "cancelled"
    assert _text(client.of_kind("agent_message_chunk")) == "pausing"


async def test_unadvertised_capabilities_are_never_called(workspace: Path, tmp_path: Path) -> None:
    playbook = _playbook(
        tmp_path,
        """
[[steps]]
kind = "read"
path = "README.md"

[[steps]]
kind = "write"
path = "notes.txt"
content = "x"

[[steps]]
kind = "run"
command = "true"

[[steps]]
kind = "message"
text = "done"
""",
    )
    client = WorkspaceClient(workspace, advertise=False)
    async with run_demo_agent(client, playbook, tmp_path / "a.log") as run:
        assert await _prompt(run) == "end_turn"
    assert client.calls == []
    statuses = client.tool_statuses()
    assert list(statuses.values()) == [["pending", "failed"]] * 3
    problems = [_failure_text(client, tool_id) for tool_id in statuses]
    assert problems == [
        "the client did not advertise fs.readTextFile",
        "the client did not advertise fs.writeTextFile",
        "the client did not advertise terminal",
    ]


async def test_a_fail_step_ends_the_turn_with_a_jsonrpc_error(
    workspace: Path, tmp_path: Path
) -> None:
    playbook = _playbook(tmp_path, '[[steps]]\nkind = "fail"\nmessage = "the model fell over"\n')
    client = WorkspaceClient(workspace)
    async with run_demo_agent(client, playbook, tmp_path / "a.log") as run:
        with pytest.raises(RequestError, match="the model fell over"):
            await _prompt(run)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('[[steps]]\nkind = "dance"\n', "steps.0"),
        (
            '[[steps]]\nkind = "write"\npath = "a"\ncontent = "x"\nreplace = {old = "a", new = "b"}\n',
            "exactly one of 'content' and 'replace'",
        ),
        ('[[steps]]\nkind = "pause"\nseconds = 1\nsecs = 2\n', "Extra inputs are not permitted"),
        ("[[steps]\n", "invalid TOML"),
    ],
)
def test_an_invalid_playbook_exits_non_zero_naming_file_and_problem(
    tmp_path: Path, body: str, problem: str
) -> None:
    playbook = _playbook(tmp_path, body)
    result = subprocess.run(
        [sys.executable, "-m", "agents.demo", "--playbook", str(playbook), "--speed", "0"],
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert str(playbook) in result.stderr and problem in result.stderr, result.stderr


def test_every_shipped_playbook_validates() -> None:
    names = {load_playbook(path).name for path in PLAYBOOKS.glob("*.toml")}
    assert names == {"planner", "implementer", "implementer-retry", "reviewer"}


async def test_attempt_flag_and_a_replace_that_does_not_apply_stop_the_turn(
    workspace: Path, tmp_path: Path
) -> None:
    # Attempt 2 expects attempt 1's wrong fix; on the pristine file its `replace` cannot apply.
    client = WorkspaceClient(workspace)
    path = PLAYBOOKS / "implementer_retry.toml"
    async with run_demo_agent(
        client, path, tmp_path / "a.log", extra_args=("--attempt", "2")
    ) as run:
        assert await _prompt(run) == "end_turn"
    said = _text(client.of_kind("agent_message_chunk"))
    assert said.startswith("Sent back") and "Stopping: calc/stats.py does not contain" in said
    assert "fs/write_text_file" not in client.calls
    assert client.calls.count("terminal/create") == 1  # it saw the test still fail, no more
