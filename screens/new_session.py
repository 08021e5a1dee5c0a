"""``n``: start a session from the console — the task, the workspace, the team, the policy, and
whether it works in a new git worktree of the workspace's repository.

The team files offered are looked for on a thread whenever the workspace changes (a project
may bring its own ``.quarterdeck/team.toml``). Starting goes through the launcher (the
:class:`~agents.supervisor.actions.Supervisor`), which checks the form off the UI loop; what is
wrong is shown under its field and the form stays open. On success the form closes with the new
session's id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Select, Static, TextArea

from agents.supervisor.launch import NewSessionRefused, Problems, TeamFile, default_team
from screens.format import escape
from screens.path_completion import DirectorySuggester
from screens.worker_errors import ReportsFailedWorkers
from sessions.errors import QuarterdeckError

FIELDS = ("task", "workspace", "team", "policy", "worktree")
"""The form's fields, each with an error line under it (``#<field>-error``)."""


class Launcher(Protocol):
    """What the form needs to start a session (the supervisor is one)."""

    def team_files(self, workspace: Path) -> list[TeamFile]:
        """The team files to offer for ``workspace`` (called on a thread)."""
        ...

    async def start_session(
        self, task: str, workspace: Path, team_path: Path | None, *, worktree: bool = False
    ) -> str:
        """Start the session (``worktree``: in a new git worktree); its id, or
        ``NewSessionRefused`` with a problem per field."""
        ...


class NewSessionScreen(ReportsFailedWorkers, ModalScreen[str | None]):
    """The new-session form; ``ctrl+s`` starts, ``escape`` cancels. Dismissed with the id."""

    CSS_PATH = "modals.tcss"
    BINDINGS = [
        Binding("ctrl+s", "start", "Start", id="new-session.start"),
        Binding("escape", "cancel", "Cancel", id="new-session.cancel"),
    ]

    def __init__(self, launcher: Launcher, *, workspace: Path, policy: str) -> None:
        super().__init__()
        self.launcher = launcher
        self.workspace = workspace
        self.policy = policy
        """The policy every session of this console runs under, as shown."""
        self.teams: list[TeamFile] = []
        """The team files offered now (empty until the first look on a thread)."""
        self.problems = Problems()
        """What the last attempt to start found wrong (shown under the fields)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog new-session"):
            yield Static("[b]New session[/]", classes="dialog-title")
            yield Static("Task", classes="field-label")
            yield TextArea(id="task", soft_wrap=True, show_line_numbers=False)
            yield Static("", id="task-error", classes="field-error")
            yield Static("Workspace", classes="field-label")
            yield Input(
                str(self.workspace),
                placeholder="the directory the agents work in",
                suggester=DirectorySuggester(),
                select_on_focus=False,  # tabbing in leaves the cursor at the end, to go deeper
                id="workspace",
            )
            yield Static("", id="workspace-error", classes="field-error")
            yield Static("Team", classes="field-label")
            yield Static("  looking for team files…", id="team-waiting")  # then a Select
            yield Static("", id="team-error", classes="field-error")
            yield Static(f"Policy  [$text-muted]{escape(self.policy)}[/]", classes="field-label")
            yield Static("", id="policy-error", classes="field-error")
            yield Checkbox(
                "in a new git worktree (branch quarterdeck/<id>; merge, keep or discard at the end)",
                id="worktree",
            )
            yield Static("", id="worktree-error", classes="field-error")
            yield Static("", id="new-session-keys", classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#task", TextArea).focus()
        self._show_keys()
        self.look_for_teams(self.workspace)

    def _show_keys(self) -> None:
        """The form's keys as the keymap has them now (so a remapped key is named right)."""
        own = {
            a.binding.id: a.binding
            for a in self.active_bindings.values()
            if a.binding.id and a.binding.id.startswith("new-session.")
        }
        keys = "  ".join(
            f"[b]{escape(self.app.get_key_display(b))}[/] {escape(b.description.lower())}"
            for b in own.values()
        )
        hint = f"{keys}  [b]tab[/] next field  [b]→[/] complete the path"
        self.query_one("#new-session-keys", Static).update(hint)

    # -- the team files -----------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "workspace":
            self.look_for_teams(Path(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_start()

    @work(
        thread=True,
        exclusive=True,
        group="team-files",
        exit_on_error=False,
        name="looking for team files",
    )
    def look_for_teams(self, workspace: Path) -> None:
        """Find the team files for ``workspace`` on a thread, then list them."""
        files = self.launcher.team_files(workspace)
        self.app.call_from_thread(self._show_teams, files)

    def _show_teams(self, files: list[TeamFile]) -> None:
        if files == self.teams or not files or not self.is_attached:  # or the form closed
            return
        self.teams = files
        options = [(escape(f.label), str(f.path)) for f in files]
        paths = {str(f.path) for f in files}
        chosen = self._team()
        value = str(chosen) if str(chosen) in paths else str(default_team(files).path)
        found = self.query("#team")
        if found:
            select = found.first(Select)
            select.set_options(options)
            select.value = value
            return
        # Mounted once there are files: a Select made empty would offer a blank choice.
        waiting = self.query_one("#team-waiting")
        team = Select[str](options, value=value, allow_blank=False, id="team")
        self.mount(team, after=waiting)
        waiting.remove()

    def _team(self) -> Path | None:
        found = self.query("#team")
        value = found.first(Select).value if found else None
        return Path(value) if isinstance(value, str) else None

    # -- starting -----------------------------------------------------------------------------

    def action_start(self) -> None:
        """Start the session the form describes (checked off the loop)."""
        task = self.query_one("#task", TextArea).text
        workspace = Path(self.query_one("#workspace", Input).value.strip())
        worktree = self.query_one("#worktree", Checkbox).value
        self.start(task, workspace, self._team(), worktree=worktree)

    @work(exclusive=True, group="new-session", exit_on_error=False, name="starting a session")
    async def start(
        self, task: str, workspace: Path, team: Path | None, *, worktree: bool = False
    ) -> None:
        """Ask the launcher to start it: close with the id, or show what is wrong."""
        try:
            session_id = await self.launcher.start_session(task, workspace, team, worktree=worktree)
        except NewSessionRefused as exc:
            self.show_problems(exc.problems)
            return
        except QuarterdeckError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.dismiss(session_id)

    def show_problems(self, problems: Problems) -> None:
        """Show each problem under its field (and clear the fields that are fine now)."""
        self.problems = problems
        for field in FIELDS:
            message: str = getattr(problems, field)
            line = self.query_one(f"#{field}-error", Static)
            line.update(escape(message))
            line.display = bool(message)
        first = next((f for f in (*FIELDS[:3], "worktree") if getattr(problems, f)), None)
        if first is not None:
            self.query_one(f"#{first}").focus()

    def action_cancel(self) -> None:
        """Close without starting anything."""
        self.dismiss(None)
