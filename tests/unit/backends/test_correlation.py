"""The matcher: the fs/terminal request that carries out a decided permission rides on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.auth.gate import Precedent
from agents.auth.requests import ToolKind, ToolRequest
from agents.backends.correlation import Permit, Permits, command_key, permit_for, script_of

WS = Path("/ws")
YES = Precedent(call_id="tc-1", allowed=True, approval_id="ap-1")
NO = Precedent(call_id="tc-1", allowed=False, reason="denied: not now")


def _req(tool: ToolKind, *, paths: tuple[str, ...] = (), command: str | None = None) -> ToolRequest:
    return ToolRequest(
        tool=tool,
        role="implementer",
        workspace=WS,
        paths=paths,
        command=command,
        cwd=WS if tool is ToolKind.EXECUTE else None,
    )


def _edit(path: str = "/ws/a.txt", precedent: Precedent = YES, **kwargs: object) -> Permit:
    permit = permit_for("tc-1", _req(ToolKind.EDIT, paths=(path,)), precedent, **kwargs)  # type: ignore[arg-type]
    assert permit is not None
    return permit


def _execute(command: str, precedent: Precedent = YES, call_id: str = "tc-1") -> Permit:
    permit = permit_for(call_id, _req(ToolKind.EXECUTE, command=command), precedent)
    assert permit is not None
    return permit


@pytest.mark.parametrize(
    ("line", "script"),
    [
        ("/bin/sh -lc 'ls -la | head -3'", "ls -la | head -3"),
        ("sh -c 'echo hi'", "echo hi"),
        ("bash -c 'bash -c '\"'\"'ls | wc'\"'\"''", "ls | wc"),  # shlex.join, nested
        ("bash -c 'pwd'", "pwd"),
        ('sh -c "ls | head"', "ls | head"),
        ("/bin/sh -c 'x';rm -rf /", "/bin/sh -c 'x';rm -rf /"),  # more than the wrapper runs
        ('sh -c "echo $(id)"', 'sh -c "echo $(id)"'),  # the outer shell would expand it
        ("sh -c 'x' extra", "sh -c 'x' extra"),
        ("sh -e 'x'", "sh -e 'x'"),
        ("ls -la", "ls -la"),
        ("sh -c 'unbalanced", "sh -c 'unbalanced"),
    ],
)
def test_script_of_unwraps_only_an_exact_shell_wrapper(line: str, script: str) -> None:
    assert script_of(line) == script


def test_command_keys_compare_simple_commands_by_words_and_the_rest_verbatim() -> None:
    assert command_key("git commit -m 'a b'") == command_key('git commit -m "a b"')
    assert command_key("ls  -la") == command_key("ls -la")
    assert command_key("echo '$HOME'") != command_key('echo "$HOME"')  # quoting matters here
    assert command_key("FOO=1 ls") != command_key("'FOO=1' ls")
    assert command_key("/bin/sh -lc 'ls -la | head -3'") == command_key("ls -la | head -3")


def test_an_approved_command_is_carried_out_once_by_its_wrapped_form() -> None:
    permits = Permits()
    permits.grant(_execute("ls -la | head -3"))
    run = _req(ToolKind.EXECUTE, command="/bin/sh -lc 'ls -la | head -3'")
    assert permits.match(run) == YES
    assert permits.match(run) is None  # used up: a second run is decided on its own


def test_another_command_does_not_ride() -> None:
    permits = Permits()
    permits.grant(_execute("ls -la"))
    assert permits.match(_req(ToolKind.EXECUTE, command="ls -la; rm -rf /")) is None
    assert permits.match(_req(ToolKind.EXECUTE, command="FOO=1 ls -la")) is None
    assert len(permits) == 1


def test_a_command_in_another_directory_does_not_ride() -> None:
    permits = Permits()
    request = ToolRequest(
        tool=ToolKind.EXECUTE, role="implementer", workspace=WS, command="make", cwd=WS / "sub"
    )
    permit = permit_for("tc-1", request, YES)
    assert permit is not None
    permits.grant(permit)
    assert permits.match(_req(ToolKind.EXECUTE, command="make")) is None
    assert permits.match(request) == YES


def test_a_write_rides_on_its_edit_and_the_read_before_it_does_not_use_it_up() -> None:
    permits = Permits()
    permits.grant(_edit(new_texts=[("/ws/a.txt", "hi\n")]))
    assert permits.match(_req(ToolKind.READ, paths=("/ws/a.txt",))) == YES
    assert permits.match(_req(ToolKind.EDIT, paths=("/ws/a.txt",)), content="hi\n") == YES
    assert permits.match(_req(ToolKind.EDIT, paths=("/ws/a.txt",)), content="hi\n") is None
    assert permits.match(_req(ToolKind.READ, paths=("/ws/a.txt",))) is None


def test_a_write_of_another_path_or_other_content_does_not_ride() -> None:
    permits = Permits()
    permits.grant(_edit(new_texts=[("/ws/a.txt", "hi\n")]))
    assert permits.match(_req(ToolKind.EDIT, paths=("/ws/b.txt",)), content="hi\n") is None
    assert permits.match(_req(ToolKind.EDIT, paths=("/ws/a.txt",)), content="bye\n") is None
    # A snippet diff (an agent's edit of part of a file) is found inside the whole content.
    assert permits.match(_req(ToolKind.EDIT, paths=("/ws/a.txt",)), content="x\nhi\ny\n") == YES


def test_the_same_tool_call_id_is_required_where_the_execution_names_one() -> None:
    permits = Permits()
    permits.grant(_execute("make", call_id="tc-1"))
    run = _req(ToolKind.EXECUTE, command="make")
    assert permits.match(run, tool_call_id="tc-2") is None
    assert permits.match(run, tool_call_id="tc-1") == YES


def test_a_refused_permission_refuses_its_execution_every_time() -> None:
    permits = Permits()
    permits.grant(_edit(precedent=NO, new_texts=[("/ws/a.txt", "hi\n")]))
    write = _req(ToolKind.EDIT, paths=("/ws/a.txt",))
    assert permits.match(write, content="other\n") == NO  # whatever it writes there
    assert permits.match(write, content="hi\n") == NO
    assert permits.match(_req(ToolKind.READ, paths=("/ws/a.txt",))) is None  # reads: its own


def test_asking_again_replaces_the_other_answer() -> None:
    permits = Permits()
    permits.grant(_execute("make", NO))
    permits.grant(_execute("make", YES))
    assert permits.match(_req(ToolKind.EXECUTE, command="make")) == YES
    assert permits.match(_req(ToolKind.EXECUTE, command="make")) is None


def test_permits_lapse_at_the_end_of_the_turn_and_stay_bounded() -> None:
    permits = Permits(limit=3)
    for i in range(5):
        permits.grant(_execute(f"echo {i}"))
    assert len(permits) == 3
    assert permits.match(_req(ToolKind.EXECUTE, command="echo 0")) is None
    assert permits.expire() == 3
    assert permits.match(_req(ToolKind.EXECUTE, command="echo 4")) is None


def test_only_what_a_request_can_carry_out_leaves_a_permit() -> None:
    assert permit_for("t", _req(ToolKind.FETCH), YES) is None
    assert permit_for("t", _req(ToolKind.EDIT), YES) is None  # an edit with no path
    assert permit_for("t", _req(ToolKind.EXECUTE), YES) is None
    assert permit_for("t", _req(ToolKind.READ, paths=("/ws/a",)), YES) is not None
