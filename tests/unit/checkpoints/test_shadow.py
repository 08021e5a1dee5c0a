"""The shadow repository: what a snapshot holds, and that it never touches the user's git."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agents.auth.gate import ToolCall
from agents.auth.requests import ToolKind, ToolRequest
from agents.checkpoints.recorder import Checkpoints, session_ref
from agents.checkpoints.shadow import CheckpointError, ShadowRepo, shadow_path
from sessions.store.reading import load_session
from sessions.store.redaction import Redactor
from tests.conftest import StoreFactory


def _tree(root: Path, files: dict[str, bytes]) -> None:
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)


def test_a_snapshot_holds_ignored_files_but_not_excluded_names_or_the_users_git(
    tmp_path: Path,
) -> None:
    ws = tmp_path / "ws"
    _tree(
        ws,
        {
            "src/a.py": b"a\n",
            ".gitignore": b"*.log\nsecret/\n",
            "run.log": b"x",
            "secret/k": b"k",
            ".venv/lib/x.py": b"v",
            "pkg/node_modules/m.js": b"m",
            "pkg/__pycache__/a.pyc": b"c",
        },
    )
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    user_git = sorted(p.name for p in (ws / ".git").iterdir())
    repo = ShadowRepo(tmp_path / "shadows", ws)
    commit = repo.snapshot(session_ref("s1"), "first")
    assert repo.paths(commit) == {"src/a.py", ".gitignore", "run.log", "secret/k"}
    assert sorted(p.name for p in (ws / ".git").iterdir()) == user_git  # untouched
    assert repo.git_dir == shadow_path(tmp_path / "shadows", ws)
    assert not repo.git_dir.is_relative_to(ws)


def test_snapshots_chain_on_the_session_ref_and_restore_exact_bytes(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    # The workspace's attributes ask for CRLF conversion; the shadow must ignore them.
    _tree(ws, {".gitattributes": b"* text eol=crlf\n", "a.txt": b"one\ntwo\n", "b.bin": b"\0\xff"})
    repo = ShadowRepo(tmp_path / "shadows", ws)
    first = repo.snapshot(session_ref("s1"), "first")
    (ws / "a.txt").write_bytes(b"changed\n")
    (ws / "b.bin").unlink()
    (ws / "c.txt").write_bytes(b"new")
    second = repo.snapshot(session_ref("s1"), "second")
    assert repo.ref(session_ref("s1")) == second
    assert repo.git("rev-parse", f"{second}^").decode().strip() == first
    changes = {(c.status, c.path) for c in repo.diff(second, first)}
    assert changes == {("M", "a.txt"), ("A", "b.bin"), ("D", "c.txt")}
    repo.write_files(first, ["a.txt", "b.bin"])
    assert (ws / "a.txt").read_bytes() == b"one\ntwo\n" and (ws / "b.bin").read_bytes() == b"\0\xff"


def test_the_shadow_inside_the_workspace_is_not_snapshotted(tmp_path: Path) -> None:
    _tree(tmp_path, {"a.txt": b"a"})
    repo = ShadowRepo(tmp_path / "data" / "checkpoints", tmp_path)
    commit = repo.snapshot(session_ref("s1"), "m")
    assert repo.paths(commit) == {"a.txt"}


async def test_a_failed_checkpoint_is_an_escalation_and_the_call_goes_on(
    make_store: StoreFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = make_store()
    ws = tmp_path / "ws"
    ws.mkdir()
    checkpoints = Checkpoints(store, tmp_path / "shadows")
    call = ToolCall(
        session_id="s1",
        agent_id="implementer-1",
        call_id="c1",
        request=ToolRequest(tool=ToolKind.EDIT, role="implementer", workspace=ws),
        summary="write x",
    )
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))  # no git to be found
    await checkpoints.before_call(call)  # does not raise
    records = load_session(store.engine, "s1")
    assert [r.kind for r in records] == ["escalation.raised"]
    assert "checkpoint failed before write x" in records[0].payload["reason"]
    assert records[0].payload["call_id"] == "c1"
    with pytest.raises(CheckpointError, match="cannot run git"):
        await checkpoints.take("s1", label="x", workspace=ws)


async def test_reads_take_no_checkpoint_and_writes_do(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    ws = tmp_path / "ws"
    _tree(ws, {"a.txt": b"a"})
    checkpoints = Checkpoints(store, tmp_path / "shadows")
    checkpoints.watch("s1", ws, exclude=[])
    read = ToolRequest(tool=ToolKind.READ, role="implementer", workspace=ws)
    await checkpoints.before_call(
        ToolCall(session_id="s1", agent_id="i-1", call_id="c1", request=read, summary="read a")
    )
    run = ToolRequest(tool=ToolKind.EXECUTE, role="implementer", workspace=ws, command="make")
    await checkpoints.before_call(
        ToolCall(session_id="s1", agent_id="i-1", call_id="c2", request=run, summary="run make")
    )
    records = load_session(store.engine, "s1")
    assert [(r.kind, r.payload["label"]) for r in records] == [("checkpoint", "before run make")]
    checkpoints.watch("s2", ws, enabled=False)
    await checkpoints.before_call(
        ToolCall(session_id="s2", agent_id="i-1", call_id="c3", request=run, summary="run make")
    )
    assert load_session(store.engine, "s2") == []


KEY = "sk-ant-api03-" + "k" * 32


def _objects(repo: ShadowRepo) -> bytes:
    """Every object the shadow holds, loose or packed, as one blob of bytes."""
    return repo.git("cat-file", "--batch-all-objects", "--batch")


def test_a_file_holding_a_secret_never_reaches_the_shadow(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _tree(ws, {"a.txt": b"clean\n", "cfg/token.txt": b"stored-value-1234\n"})
    # The runtime's scanner: the keyring's values and the credential shapes.
    scan = Redactor([("svc", "stored-value-1234")], pii=False).find_credential
    repo = ShadowRepo(tmp_path / "shadows", ws, scan=scan)
    first = repo.snapshot(session_ref("s1"), "first")
    assert repo.paths(first) == {"a.txt"}
    assert (
        set(repo.withheld) == {"cfg/token.txt"} and repo.withheld["cfg/token.txt"].secret == "svc"
    )
    (ws / "a.txt").write_text(f"key = {KEY}\n")  # a credential shape, in a file snapshotted clean
    second = repo.snapshot(session_ref("s1"), "second")
    assert repo.paths(second) == set()  # the clean version does not stand in for it
    assert repo.withheld["a.txt"].secret == "anthropic-key"
    objects = _objects(repo)
    assert KEY.encode() not in objects and b"stored-value-1234" not in objects
    (ws / "a.txt").write_text("clean again\n")
    assert repo.paths(repo.snapshot(session_ref("s1"), "third")) == {"a.txt"}


def test_agents_state_folders_are_left_out_by_default(tmp_path: Path) -> None:
    from agents.team import CheckpointSettings

    ws = tmp_path / "ws"
    _tree(ws, {"a.txt": b"a", ".fast-agent/sessions/1.json": b"{}", "sub/.claude/x": b"x"})
    settings = CheckpointSettings(exclude=[".venv"])
    repo = ShadowRepo(tmp_path / "shadows", ws, exclude=settings.excluded())
    assert repo.paths(repo.snapshot(session_ref("s1"), "m")) == {"a.txt"}


async def test_a_withheld_file_is_reported_once_per_session(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    ws = tmp_path / "ws"
    _tree(ws, {".env": f"ANTHROPIC_API_KEY={KEY}\n".encode(), "a.txt": b"a"})
    checkpoints = Checkpoints(store, tmp_path / "shadows")
    checkpoints.watch("s1", ws)
    await checkpoints.take("s1", label="session start")
    await checkpoints.take("s1", label="again")
    escalations = [
        r.payload for r in load_session(store.engine, "s1") if r.kind == "escalation.raised"
    ]
    assert len(escalations) == 1
    assert ".env (anthropic-key)" in escalations[0]["reason"]
    assert KEY not in str(escalations)
