"""A session's changes for review, on real files and real shadow-git checkpoints: every kind of
file change, told apart, with its hunks; against the first or the last known-good checkpoint."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from agents.checkpoints.recorder import Checkpoints
from agents.review.changes import ReviewError, SessionChanges, choose_base, session_changes
from agents.review.diff import MAX_FILE_LINES, FileDiff, parse_diff, unquote
from sessions.schema.session import SessionCreated
from sessions.store.anchors import AnchorLog
from sessions.store.engine import open_engine
from sessions.store.event_store import EventStore
from sessions.store.reading import load_session

KEY = "sk-ant-api03-" + "x" * 30
SID = "s1"


class Session:
    """A session's workspace, its store and its checkpoints."""

    def __init__(self, base: Path) -> None:
        self.ws = base / "ws"
        self.ws.mkdir()
        self.root = base / "shadows"
        self.store = EventStore(open_engine(base / "q.db"), anchors=AnchorLog(base / "a.jsonl"))
        self.checkpoints = Checkpoints(self.store, self.root)

    def write(self, name: str, body: str | bytes) -> None:
        path = self.ws / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, str):
            path.write_text(body)
        else:
            path.write_bytes(body)

    def start(self, files: dict[str, str | bytes]) -> None:
        for name, body in files.items():
            self.write(name, body)

        async def begin() -> None:
            created = SessionCreated(title="t", workspace=str(self.ws.resolve()), team="demo")
            await self.store.append_durable(SID, "orchestrator", created)
            self.checkpoints.watch(SID, self.ws)
            await self.checkpoints.take(SID, label="session start")

        asyncio.run(begin())

    def known_good(self) -> None:
        asyncio.run(self.checkpoints.take(SID, label="validator passed", known_good=True))

    def changes(self, kind: str = "first") -> SessionChanges:
        records = load_session(self.store.engine, SID)
        return session_changes(self.root, SID, records, kind=kind, scan=None)  # type: ignore[arg-type]

    def close(self) -> None:
        self.store.close()


@pytest.fixture
def session(tmp_path: Path) -> Session:
    s = Session(tmp_path)
    yield s  # type: ignore[misc]
    s.close()


def _by_path(changes: SessionChanges) -> dict[str, FileDiff]:
    return {f.path: f for f in changes.files}


BEFORE: dict[str, str | bytes] = {
    "calc.py": "def mean(xs):\n    return sum(xs) / len(xs)\n",
    "gone.txt": "bye\n",
    "old_name.txt": "".join(f"line {i}\n" for i in range(30)),
    "logo.bin": b"\x00\x01\x02binary",
    "run.sh": "echo hi\n",
    "was_file": "a file\n",
    "g h\tq.txt": "odd name\n",
    "café.txt": "accent\n",
}


def test_added_modified_deleted_binary_renamed_and_mode_changes_are_told_apart(
    session: Session,
) -> None:
    session.start(BEFORE)
    session.write(
        "calc.py", "def mean(xs):\n    if not xs:\n        return 0\n    return sum(xs) / len(xs)\n"
    )
    (session.ws / "gone.txt").unlink()
    moved = "".join(f"line {i}\n" for i in range(30)) + "one more\n"
    (session.ws / "old_name.txt").rename(session.ws / "new_name.txt")
    session.write("new_name.txt", moved)
    session.write("logo.bin", b"\x00\x01\x02binary, changed")
    session.write("fresh.py", "print('new')\n")
    (session.ws / "run.sh").chmod(0o755)
    (session.ws / "was_file").unlink()
    os.symlink("calc.py", session.ws / "was_file")
    session.write("g h\tq.txt", "odd name, edited\n")
    session.write("café.txt", "accent, edited\n")
    session.write(".venv/lib.py", "excluded\n")  # left out of every snapshot

    changes = session.changes()
    files = _by_path(changes)
    expected = ["calc.py", "gone.txt", "new_name.txt", "logo.bin", "fresh.py", "run.sh"]
    assert sorted(files) == sorted([*expected, "was_file", "g h\tq.txt", "café.txt"])
    calc = files["calc.py"]
    assert calc.status == "modified" and (calc.added, calc.removed) == (2, 0)
    [hunk] = calc.hunks
    assert hunk.header.startswith("@@ -1,2 +1,4 @@")
    assert hunk.lines == (
        " def mean(xs):",
        "+    if not xs:",
        "+        return 0",
        "     return sum(xs) / len(xs)",
    )
    assert files["gone.txt"].status == "deleted" and files["gone.txt"].hunks[0].lines == ("-bye",)
    renamed = files["new_name.txt"]
    assert (renamed.status, renamed.old_path) == ("renamed", "old_name.txt")
    assert [line for h in renamed.hunks for line in h.lines if line[0] != " "] == ["+one more"]
    binary = files["logo.bin"]
    assert binary.binary and not binary.hunks and binary.note == "binary file"
    assert files["fresh.py"].status == "added"
    assert files["fresh.py"].hunks[0].lines == ("+print('new')",)
    mode = files["run.sh"]
    assert not mode.hunks and mode.note == "mode 100644 → 100755"
    typed = files["was_file"]
    assert typed.status == "type_changed" and typed.note == "type changed (file → symlink)"
    assert [line for h in typed.hunks for line in h.lines] == [
        "-a file",
        "+calc.py",
        r"\ No newline at end of file",
    ]
    assert files["g h\tq.txt"].hunks[0].lines == ("-odd name", "+odd name, edited")
    assert files["café.txt"].hunks[0].lines == ("-accent", "+accent, edited")
    assert (changes.added, changes.removed) == (2 + 1 + 1 + 1 + 1 + 1, 1 + 1 + 1 + 1)
    assert changes.base.kind == "first" and changes.base.label == "session start"


def test_the_last_known_good_checkpoint_shows_only_what_came_after_it(session: Session) -> None:
    session.start({"a.txt": "a\n", "b.txt": "b\n"})
    session.write("a.txt", "a, validated\n")
    session.known_good()
    session.write("b.txt", "b, after the pass\n")
    first = _by_path(session.changes("first"))
    assert sorted(first) == ["a.txt", "b.txt"]
    good = session.changes("known_good")
    assert [f.path for f in good.files] == ["b.txt"]
    assert good.base.kind == "known_good" and good.base.label == "validator passed"


def test_no_known_good_checkpoint_or_no_checkpoint_at_all_says_why(session: Session) -> None:
    session.start({"a.txt": "a\n"})
    with pytest.raises(ReviewError, match="no known-good checkpoint yet"):
        session.changes("known_good")
    records = [r for r in load_session(session.store.engine, SID) if r.kind != "checkpoint"]
    with pytest.raises(ReviewError, match="has no checkpoints"):
        choose_base(records, "first")


def test_a_file_holding_a_secret_is_listed_but_never_read(session: Session) -> None:
    session.start({"a.txt": "a\n", "env.txt": "nothing yet\n"})
    session.write("env.txt", f"TOKEN={KEY}\n")
    session.write("creds.txt", f"{KEY}\n")
    files = _by_path(session.changes())
    for path in ("env.txt", "creds.txt"):
        assert files[path].status == "withheld" and not files[path].hunks
        assert "holds a secret" in files[path].note


def test_a_huge_file_keeps_its_counts_but_not_its_hunks(session: Session) -> None:
    session.start({"big.txt": ""})
    session.write("big.txt", "".join(f"{i}\n" for i in range(MAX_FILE_LINES + 10)))
    [big] = session.changes().files
    assert big.too_large and not big.hunks and big.added == MAX_FILE_LINES + 10
    assert big.note == f"too large to show: +{MAX_FILE_LINES + 10} −0 lines"


def test_a_workspace_that_is_gone_says_so(session: Session) -> None:
    session.start({"a.txt": "a\n"})
    (session.ws / "a.txt").unlink()
    session.ws.rmdir()
    with pytest.raises(ReviewError, match="no longer exists"):
        session.changes()


def test_git_quoted_names_are_unquoted_to_their_bytes() -> None:
    assert unquote(b'"a\\tb\\"c\\\\d"') == b'a\tb"c\\d'
    assert unquote(b'"caf\\303\\251.txt"') == "café.txt".encode()
    assert unquote(b"plain name") == b"plain name"


def test_a_patch_section_git_did_not_write_leaves_the_file_without_hunks() -> None:
    raw = b":100644 100644 " + b"1" * 40 + b" " + b"2" * 40 + b" M\0a.txt\0\0"
    [only] = parse_diff(raw)  # no patch part at all: listed, and said to have no text change
    assert (only.path, only.status, only.hunks, only.note) == (
        "a.txt",
        "modified",
        (),
        "no textual change",
    )
