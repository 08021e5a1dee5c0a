"""``enter`` on an approval: the full request, the rule that asked, the policy, the diff."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from screens.format import RISK_STYLE, age, escape

if TYPE_CHECKING:  # agents is slow to import and loaded after the first paint (see dashboard)
    from agents.approvals.broker import Outcome  # noqa: F401 (the quoted base below)
    from sessions.schema.policy import Risk


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalDetails:
    """Everything the details dialog shows about one pending approval."""

    approval_id: str
    session_id: str
    session_title: str
    agent_id: str
    role: str
    tool: str
    summary: str
    command: str | None
    paths: tuple[str, ...]
    cwd: str | None
    risk: Risk
    rule_id: str | None
    reason: str
    diff: str | None
    policy_hash: str | None
    requested_ts: str
    waiting: str
    """Who waits for the answer: ``waiting`` (a live process), ``stale`` or ``elsewhere``."""


class ApprovalDetailsScreen(ModalScreen["Outcome | None"]):
    """Read the request in full, then answer it here or go back."""

    CSS_PATH = "modals.tcss"
    BINDINGS = [
        Binding("a", "answer('approved_once')", "Approve", id="details.approve"),
        Binding("A", "answer('approved_always')", "Always", id="details.approve-always"),
        Binding("d", "answer('denied')", "Deny", id="details.deny"),
        Binding("D", "answer('denied_always')", "Never", id="details.deny-always"),
        Binding("escape,q", "answer('')", "Back", id="details.close"),
    ]

    def __init__(self, details: ApprovalDetails, now: float) -> None:
        super().__init__()
        self.details = details
        self.now = now

    def compose(self) -> ComposeResult:
        d = self.details
        risk = RISK_STYLE.get(d.risk, "$text")
        rows = [
            ("session", f"{escape(d.session_title)} [$text-muted]{d.session_id[:8]}[/]"),
            ("agent", f"{escape(d.role)} · {escape(d.agent_id)}"),
            ("tool", escape(d.tool)),
            ("risk", f"[{risk}]{d.risk}[/]"),
            ("rule", escape(d.rule_id or "(the policy's default)")),
            ("reason", escape(d.reason or "–")),
            ("policy", d.policy_hash[:16] if d.policy_hash else "–"),
            ("cwd", escape(d.cwd or "–")),
            ("waiting", f"{age(d.requested_ts, self.now)} · {d.waiting}"),
        ]
        if d.paths:
            rows.append(("paths", escape(", ".join(d.paths))))
        table = "\n".join(f"[$text-muted]{k:>8}[/]  {v}" for k, v in rows)
        from rich.syntax import Syntax  # pygments: when details open, not at the first paint

        with Vertical(classes="dialog details"):
            yield Static(
                f"[b]Approval {d.approval_id[:12]}[/] — {escape(d.summary)}", classes="dialog-title"
            )
            yield Static(table, classes="details-fields")
            with VerticalScroll(classes="details-body"):
                if d.command:
                    yield Static(Syntax(d.command, "bash", word_wrap=True), classes="command")
                if d.diff:
                    yield Static(Syntax(d.diff, "diff", word_wrap=True), classes="diff")
            yield Static(
                "[b]a[/] approve once  [b]A[/] always  [b]d[/] deny  [b]D[/] never  [b]esc[/] back",
                classes="dialog-keys",
            )

    def action_answer(self, outcome: str) -> None:
        """Close with the chosen answer (empty: no answer)."""
        from agents.approvals.broker import Outcome

        self.dismiss(Outcome(outcome) if outcome else None)
