"""A path given as a URL (`file:///etc/passwd`, `https://…`, scp's `host:path`) is never a
workspace path: joined to the workspace it looked like `{workspace}/file:/etc/passwd`, which the
workspace rules allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
from acp.schema import ToolCallLocation, ToolCallUpdate

from agents.auth.engine import decide
from agents.auth.loader import default_policy
from agents.auth.paths import file_url_path, is_url
from agents.auth.requests import Decision, ToolKind, ToolRequest, Verdict
from agents.backends.permissions import request_for


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    (workspace / "src").mkdir(parents=True)
    (workspace / "src" / "app.py").write_text("x = 1\n")
    (tmp_path / "home" / ".ssh").mkdir(parents=True)
    return workspace.resolve()


def _tool(ws: Path, kind: ToolKind, path: str, role: str = "implementer") -> Verdict:
    request = ToolRequest(tool=kind, role=role, workspace=ws, paths=(path,))
    return decide(default_policy(), request, home=ws.parent / "home")


def _run(ws: Path, command: str) -> Verdict:
    request = ToolRequest(tool=ToolKind.EXECUTE, role="implementer", workspace=ws, command=command)
    return decide(default_policy(), request, home=ws.parent / "home")


@pytest.mark.parametrize(
    "path",
    [
        "file:///etc/passwd",
        "file:///{ws}/src/app.py",
        "file://localhost/{ws}/src/app.py",
        "FILE:src/app.py",
        "https://example.com/src/app.py",
        "http://example.com",
        "s3://bucket/key",
        "git+ssh://host/repo",
        "evil.example:/loot",
        "user@evil.example:src/app.py",
        "src:app.py",
    ],
)
def test_a_url_is_never_a_workspace_path(ws: Path, path: str) -> None:
    path = path.replace("/{ws}", str(ws))
    assert _tool(ws, ToolKind.READ, path).decision is Decision.ASK
    assert _tool(ws, ToolKind.EDIT, path).decision is Decision.DENY
    assert not _tool(ws, ToolKind.READ, path, role="planner").allowed


def test_a_file_url_is_also_judged_as_the_file_it_names(ws: Path) -> None:
    verdict = _tool(ws, ToolKind.READ, f"file://{ws.parent}/home/.ssh/id_rsa")
    assert (verdict.decision, verdict.rule_id) == (Decision.DENY, "secrets")


@pytest.mark.parametrize("path", ["src/app.py", "{ws}/src/app.py", "{ws}/a:b.txt", "./a:b.txt"])
def test_local_paths_with_or_without_colons_stay_workspace_paths(ws: Path, path: str) -> None:
    assert _tool(ws, ToolKind.READ, path.replace("{ws}", str(ws))).allowed


def test_shell_operands_given_as_urls_are_not_workspace_paths(ws: Path) -> None:
    assert _run(ws, "cat file:///etc/passwd").decision is not Decision.ALLOW
    assert _run(ws, "cp src/app.py host:/tmp/app.py").decision is not Decision.ALLOW
    assert _run(ws, "cat ./a:b.txt").allowed


def test_git_revision_paths_are_read_as_the_path_inside_the_repository(ws: Path) -> None:
    assert _run(ws, "git show HEAD:src/app.py").allowed
    assert _run(ws, "git diff HEAD~1:src/app.py :src/app.py").allowed
    assert _run(ws, "git show origin/main:.env").decision is Decision.DENY


def test_a_permission_request_keeps_a_url_as_it_is(ws: Path) -> None:
    call = ToolCallUpdate(
        tool_call_id="t",
        kind="read",
        locations=[ToolCallLocation(path="file:///etc/passwd")],
        raw_input={"path": "src/app.py"},
    )
    request = request_for(call, role="implementer", workspace=ws)
    assert request.paths == ("file:///etc/passwd", str(ws / "src" / "app.py"))
    assert decide(default_policy(), request).decision is not Decision.ALLOW


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("file:///etc/passwd", True),
        ("https://x", True),
        ("host:path", True),
        ("user@host:path", True),
        ("C:\\Users\\x", True),
        ("/abs/a:b", False),
        ("./a:b", False),
        ("rel/a:b", False),
        ("plain.txt", False),
        ("", False),
    ],
)
def test_is_url(text: str, url: bool) -> None:
    assert is_url(text) is url


def test_file_url_path() -> None:
    assert file_url_path("file:///etc/pass%77d") == "/etc/passwd"
    assert file_url_path("file://localhost/etc/x") == "/etc/x"
    assert file_url_path("file://otherhost/etc/x") is None
    assert file_url_path("https://x/etc") is None
