"""The end of a session's git worktree: merge it into the branch it started from, keep its
branch, or discard it — one key each, in a modal.

It shows where the worktree is, its branch and what it holds; the choice goes to the
supervisor (``finish_worktree``), which does the git work on a thread. A refusal (a conflict,
someone else's changes in the way) is shown inline and the modal stays open, everything as it
was. Discarding asks for the key a second time. Dismissed with the outcome, or ``None``.
"""

from __future__ import annotations

from typing import Protocol

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from agents.worktrees.finish import WorktreeOutcome
from agents.worktrees.listing import WorktreeStatus
from screens.format import escape
from screens.worker_errors import ReportsFailedWorkers
from sessions.errors import QuarterdeckError
from sessions.schema.worktree import WorktreeChoice

SHOWN_CHANGES = 8
"""At most this many uncommitted paths are listed (then a count of the rest)."""


class WorktreeEnder(Protocol):
    """What the modal needs: the supervisor's ``finish_worktree``."""

    async def finish_worktree(
        self, session_id: str, choice: WorktreeChoice, *, force: bool = False
    ) -> WorktreeOutcome:
        """Merge, keep or discard the session's worktree; a ``QuarterdeckError`` when refused."""
        ...


def describe(status: WorktreeStatus, title: str) -> str:
    """The modal's body: the session, the branch, where the worktree is, what it holds."""
    wt = status.worktree
    lines = [
        f"Session {wt.session_id[:8]} · {title}" if title else f"Session {wt.session_id[:8]}",
        "",
        f"Branch    {wt.branch}, from {wt.base_branch} at {wt.base_commit[:12]}",
        f"Worktree  {wt.path}" + ("" if status.exists else " (gone)"),
        f"Into      {wt.base_branch} in {wt.repo}",
    ]
    if status.commits > 0:
        lines.append(f"Commits   {status.commits} on the branch already")
    if status.changes:
        lines += ["", f"{len(status.changes)} uncommitted change(s):"]
        lines += [f"  {path}" for path in status.changes[:SHOWN_CHANGES]]
        if len(status.changes) > SHOWN_CHANGES:
            lines.append(f"  … and {len(status.changes) - SHOWN_CHANGES} more")
    elif status.commits <= 0:
        lines += ["", "Nothing changed in it."]
    return "\n".join(lines)


class WorktreeEndScreen(ReportsFailedWorkers, ModalScreen[WorktreeOutcome | None]):
    """``m`` merge, ``k`` keep, ``d`` discard (twice), ``escape`` later."""

    CSS_PATH = "modals.tcss"
    BINDINGS = [
        Binding("m", "finish('merge')", "Merge", id="worktree-end.merge"),
        Binding("k", "finish('keep')", "Keep", id="worktree-end.keep"),
        Binding("d", "finish('discard')", "Discard", id="worktree-end.discard"),
        Binding("escape", "cancel", "Later", id="worktree-end.cancel"),
    ]

    def __init__(self, ender: WorktreeEnder, status: WorktreeStatus, *, title: str = "") -> None:
        super().__init__()
        self.ender = ender
        self.status = status
        self.title_text = title
        self.armed: WorktreeChoice | None = None
        """A discard asked for once: the next ``d`` does it."""
        self.busy = False
        """A choice is being carried out (further keys wait)."""
        self.error = ""
        """Why the last choice was refused (shown under the body)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog worktree-end"):
            yield Static("[b]The session's worktree[/]", classes="dialog-title")
            yield Static(
                describe(self.status, self.title_text), classes="dialog-body", markup=False
            )
            yield Static("", id="worktree-end-note")
            yield Static("", id="worktree-end-keys", classes="dialog-keys")

    def on_mount(self) -> None:
        self._show_keys()

    def _show_keys(self) -> None:
        """The keys as the keymap has them now (a remapped key is named right)."""
        into = self.status.worktree.base_branch
        what = {
            "worktree-end.merge": f"merge into {into}",
            "worktree-end.keep": "keep the branch",
            "worktree-end.discard": "discard",
            "worktree-end.cancel": "decide later",
        }
        own = [
            a.binding
            for a in self.active_bindings.values()
            if a.binding.id in what and a.binding.id is not None
        ]
        keys = "  ".join(
            f"[b]{escape(self.app.get_key_display(b))}[/] {escape(what[b.id or ''])}" for b in own
        )
        self.query_one("#worktree-end-keys", Static).update(keys)

    def _note(self, text: str, *, error: bool = False) -> None:
        self.error = text if error else ""
        shown = f"[$error]{escape(text)}[/]" if error else escape(text)
        self.query_one("#worktree-end-note", Static).update(shown)

    def action_finish(self, choice: WorktreeChoice) -> None:
        """Carry out ``choice`` (a discard only when asked for twice)."""
        if self.busy:
            return
        if choice == "discard" and self.armed != "discard":
            self.armed = "discard"
            held = len(self.status.changes)
            what = f"its {held} uncommitted change(s) and " if held else ""
            key = self.app.get_key_display(self._binding("worktree-end.discard"))
            self._note(f"Discard throws away {what}the branch: press {key} again to discard.")
            return
        self.armed = None
        self.busy = True
        verb = {"merge": "merging", "keep": "committing", "discard": "discarding"}[choice]
        self._note(f"{verb}…")
        self.finish(choice)

    def _binding(self, binding_id: str) -> Binding:
        return next(a.binding for a in self.active_bindings.values() if a.binding.id == binding_id)

    @work(exclusive=True, group="worktree-end", exit_on_error=False, name="ending a worktree")
    async def finish(self, choice: WorktreeChoice) -> None:
        """Ask the supervisor; close with the outcome, or say inline why it was refused."""
        try:
            outcome = await self.ender.finish_worktree(self.status.worktree.session_id, choice)
        except QuarterdeckError as exc:
            self._note(str(exc), error=True)
            return
        finally:
            self.busy = False
        self.dismiss(outcome)

    def action_cancel(self) -> None:
        """Close and decide later (the worktree stays as it is)."""
        self.dismiss(None)
