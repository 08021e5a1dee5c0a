"""A shadow git repository per workspace: snapshots of the files, never touching the user's git.

Every command runs as ``git --git-dir=<shadow> --work-tree=<workspace>`` with a private index
file, an environment stripped of the caller's ``GIT_*`` variables and of the user's global and
system git config (no hooks, filters or fsmonitor of theirs), and attributes that turn off every
conversion (``$GIT_DIR/info/attributes`` outranks the workspace's ``.gitattributes``), so a
restore gives back the exact bytes. Untracked and gitignored files are included (``add -f``);
the excluded names (at any depth) are left out, and so is the user's own ``.git``.

The index keeps stat data, so a snapshot after a few edits only rehashes those files; a
snapshot is ``add -A`` + ``write-tree`` + ``commit-tree`` under an exclusive file lock, so two
sessions (or processes) on one workspace take turns.
"""

from __future__ import annotations

import fcntl
import fnmatch
import hashlib
import os
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from agents.checkpoints.scan import Scanner, Withheld, default_scanner, scan_files
from sessions.errors import QuarterdeckError

DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".git",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "dist",
    "build",
)
"""File or directory names (globs) left out of snapshots at any depth, unless configured."""

AGENT_STATE: tuple[str, ...] = (".fast-agent", ".claude", ".gemini", ".opencode", ".codex")
"""Agents' own state folders in a workspace: left out of snapshots (and of drift) besides the
exclusions, since agents keep transcripts there and a transcript can quote a secret."""

NAMED_ADD_LIMIT = 500
"""Up to this many new or changed files, a snapshot stages them by name (one walk of the
tree instead of two)."""

_ATTRIBUTES = "* -text -filter -ident -working-tree-encoding\n"
_IDENTITY = {
    "GIT_AUTHOR_NAME": "Quarterdeck",
    "GIT_AUTHOR_EMAIL": "checkpoints@quarterdeck.invalid",
    "GIT_COMMITTER_NAME": "Quarterdeck",
    "GIT_COMMITTER_EMAIL": "checkpoints@quarterdeck.invalid",
}
_CONFIG = (
    ("core.untrackedCache", "true"),
    ("core.fsmonitor", "false"),
    ("core.autocrlf", "false"),
    ("core.symlinks", "true"),
    ("core.fileMode", "true"),
    ("gc.auto", "0"),  # nothing is ever pruned: every checkpoint stays restorable
    ("advice.addEmbeddedRepo", "false"),
)


class CheckpointError(QuarterdeckError):
    """A snapshot or a restore failed; the message says which git step and why."""


@dataclass(frozen=True, slots=True)
class Change:
    """One path that differs between two snapshots: ``A`` added, ``D`` deleted, ``M`` changed."""

    status: str
    path: str


def shadow_path(root: Path, workspace: Path) -> Path:
    """The shadow repository of ``workspace`` under ``root``: keyed by its resolved path."""
    key = hashlib.sha256(os.fsencode(workspace.resolve())).hexdigest()[:20]
    return root / f"{key}.git"


def excluded(path: str, exclude: Iterable[str]) -> bool:
    """Whether any component of ``path`` matches one of the ``exclude`` globs."""
    patterns = tuple(exclude)
    return any(fnmatch.fnmatchcase(part, p) for part in path.split("/") for p in patterns)


def _env(index: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(_IDENTITY, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", LC_ALL="C")
    if index is not None:
        env["GIT_INDEX_FILE"] = str(index)
    return env


def _run(argv: list[str], *, cwd: Path, index: Path | None, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(
            argv, input=stdin, capture_output=True, env=_env(index), cwd=cwd, check=False
        )
    except OSError as exc:
        raise CheckpointError(f"cannot run git for checkpoints: {exc.strerror}") from exc
    if done.returncode != 0:
        err = done.stderr.decode(errors="replace").strip().splitlines()
        step = next((a for a in argv[1:] if not a.startswith("--")), "")
        raise CheckpointError(f"git {step} failed: {err[-1] if err else done.returncode}")
    return done.stdout


def _nul_list(items: Iterable[str]) -> bytes:
    return b"".join(os.fsencode(item) + b"\0" for item in items)


def recorded_exclude(root: Path, workspace: Path) -> tuple[str, ...]:
    """The exclusions the last snapshot of ``workspace`` used (the defaults if none)."""
    marker = shadow_path(root, workspace) / "quarterdeck-exclude"
    if not marker.exists():
        return DEFAULT_EXCLUDE
    return tuple(line for line in marker.read_text().splitlines() if line)


class ShadowRepo:
    """The shadow repository of one workspace."""

    def __init__(
        self,
        root: Path,
        workspace: Path,
        *,
        exclude: Sequence[str] = DEFAULT_EXCLUDE,
        scan: Scanner | None = None,
    ):
        self.workspace = workspace.resolve()
        self.git_dir = shadow_path(root, self.workspace)
        self.exclude = tuple(exclude)
        self.index = self.git_dir / "quarterdeck-index"
        self._scan = scan if scan is not None else default_scanner()
        self.withheld: dict[str, Withheld] = {}
        """Files the last snapshot left out because they hold a secret (relative paths)."""

    # -- plumbing --------------------------------------------------------------------------

    def git(
        self,
        *args: str,
        index: Path | None = None,
        stdin: bytes | None = None,
        work_tree: Path | None = None,
    ) -> bytes:
        """Run one git command on the shadow; its stdout, or :class:`CheckpointError`."""
        tree = work_tree or self.workspace
        argv = ["git", f"--git-dir={self.git_dir}", f"--work-tree={tree}", *args]
        return _run(argv, cwd=tree, index=index or self.index, stdin=stdin)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the shadow's exclusive lock (other sessions and processes wait)."""
        self.ensure()
        with (self.git_dir / "quarterdeck.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def ensure(self) -> None:
        """Create the shadow repository on first use (idempotent)."""
        if (self.git_dir / "HEAD").exists():
            return
        self.git_dir.parent.mkdir(parents=True, exist_ok=True)
        _run(
            ["git", "init", "--quiet", "--bare", str(self.git_dir)],
            cwd=self.git_dir.parent,
            index=None,
        )
        for key, value in _CONFIG:
            self.git("config", key, value)
        (self.git_dir / "info").mkdir(exist_ok=True)
        (self.git_dir / "info" / "attributes").write_text(_ATTRIBUTES)
        (self.git_dir / "quarterdeck-workspace").write_text(f"{self.workspace}\n")

    def _pathspec(self) -> list[str]:
        specs = ["."]
        for pattern in self.exclude:
            specs += [f":(exclude,glob)**/{pattern}", f":(exclude,glob)**/{pattern}/**"]
        # The shadow itself, when the data directory lies inside the workspace.
        if self.git_dir.is_relative_to(self.workspace):
            specs.append(f":(exclude,literal){self.git_dir.relative_to(self.workspace)}")
        return specs

    # -- snapshots -------------------------------------------------------------------------

    def _sync_exclude(self) -> None:
        # Entries outside the pathspec stay in an index: when the exclusions change, start the
        # index afresh (the next snapshot rehashes everything) rather than keep stale entries.
        marker = self.git_dir / "quarterdeck-exclude"
        wanted = "".join(f"{p}\n" for p in self.exclude)
        if not marker.exists() or marker.read_text() != wanted:
            self.index.unlink(missing_ok=True)
            marker.write_text(wanted)

    def snapshot_tree(self) -> str:
        """Stage the workspace into the private index and return its tree id (lock held).

        Files new or changed since the last snapshot are scanned first; those that hold a
        secret never reach the shadow (not even as loose objects) and are listed in
        :attr:`withheld`.
        """
        self._sync_exclude()
        specs = self._pathspec()
        listed = self.git("ls-files", "-z", "--others", "--modified", "--", *specs)
        changed = [os.fsdecode(p) for p in listed.split(b"\0") if p]
        self.withheld = scan_files(self.workspace, changed, self._scan)
        if len(changed) <= NAMED_ADD_LIMIT:
            # The listing already walked the tree: stage just what it found, by name.
            named = [f":(literal){p}" for p in changed if p not in self.withheld]
        else:  # many literal pathspecs cost more than one more walk
            named = [*specs, *(f":(exclude,literal){p}" for p in sorted(self.withheld))]
        if named:
            self.git(
                "add",
                "--all",
                "--force",
                "--pathspec-from-file=-",
                "--pathspec-file-nul",
                stdin=_nul_list(named),
            )
        if self.withheld:  # an older, clean version staged earlier must not stay in the tree
            self.git(
                "update-index", "--force-remove", "-z", "--stdin", stdin=_nul_list(self.withheld)
            )
        return self.git("write-tree").decode().strip()

    def commit(self, tree: str, message: str, *, parent: str | None = None) -> str:
        """A commit of ``tree`` (with ``parent``), returning its id."""
        args = ["commit-tree", tree, "-m", message]
        if parent:
            args += ["-p", parent]
        return self.git(*args).decode().strip()

    def ref(self, name: str) -> str | None:
        """The commit a ref points to, or None."""
        try:
            return (
                self.git("rev-parse", "--verify", "--quiet", f"{name}^{{commit}}").decode().strip()
            )
        except CheckpointError:
            return None

    def set_ref(self, name: str, commit: str) -> None:
        """Point ``name`` at ``commit`` (keeps it and its parents reachable)."""
        self.git("update-ref", name, commit)

    def snapshot(self, ref: str, message: str) -> str:
        """Snapshot the workspace as a commit on ``ref`` (parent: the ref's last); its id."""
        with self.locked():
            tree = self.snapshot_tree()
            parent = self.ref(ref)
            commit = self.commit(tree, message, parent=parent)
            self.set_ref(ref, commit)
            return commit

    def has(self, commit: str) -> bool:
        """Whether ``commit`` is a commit in this shadow (or its alternates)."""
        try:
            kind = self.git("cat-file", "-t", commit).decode().strip()
        except CheckpointError:
            return False
        return kind == "commit"

    def paths(self, commit: str) -> set[str]:
        """Every file path in a snapshot."""
        out = self.git("ls-tree", "-r", "-z", "--name-only", commit)
        return {p.decode() for p in out.split(b"\0") if p}

    def diff(self, old: str, new: str) -> list[Change]:
        """What changes from tree-ish ``old`` to ``new``, file by file (no rename detection)."""
        out = self.git("diff-tree", "-r", "-z", "--no-renames", "--name-status", old, new)
        fields = [f.decode() for f in out.split(b"\0") if f]
        changes = [Change(s[0], p) for s, p in zip(fields[::2], fields[1::2], strict=True)]
        return [c for c in changes if not excluded(c.path, self.exclude)]

    def write_files(
        self, commit: str, paths: Sequence[str], *, work_tree: Path | None = None
    ) -> None:
        """Write ``paths`` exactly as they are in ``commit`` (bytes, mode, symlinks)."""
        if not paths:
            return
        with tempfile.TemporaryDirectory(prefix="qd-restore-") as scratch:
            index = Path(scratch) / "index"
            self.git("read-tree", commit, index=index, work_tree=work_tree)
            listed = b"".join(os.fsencode(p) + b"\0" for p in paths)
            self.git(
                "checkout-index",
                "--force",
                "-z",
                "--stdin",
                index=index,
                stdin=listed,
                work_tree=work_tree,
            )

    def materialise(self, commit: str, dest: Path) -> int:
        """Write the whole snapshot ``commit`` into the empty directory ``dest``; file count."""
        files = sorted(self.paths(commit))
        dest.mkdir(parents=True, exist_ok=True)
        self.write_files(commit, files, work_tree=dest.resolve())
        return len(files)

    def borrow_objects(self, other: ShadowRepo) -> None:
        """Let this shadow read ``other``'s snapshots (git alternates): for a forked session."""
        self.ensure()
        if other.git_dir == self.git_dir:
            return
        alternates = self.git_dir / "objects" / "info" / "alternates"
        line = f"{other.git_dir / 'objects'}\n"
        present = alternates.read_text() if alternates.exists() else ""
        if line not in present:
            alternates.write_text(present + line)
