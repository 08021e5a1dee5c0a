"""What a console paints first: every session as its projection has it, before any is folded.

Folding a year of history before showing anything took seconds (6 s for 100,000 events). The
session and approval projections, which the writer keeps in the same transaction as the log,
already say what the sessions list, the approvals queue and the status bar show: titles,
states, ages, agent counts and pending requests. :func:`outline_of` turns them into a
:class:`~sessions.readmodel.views.ConsoleView` whose sessions are outlines
(``agents_started`` set); a session is folded from its records only when it is shown
(:mod:`sessions.readmodel.session_fold`). Pure: the store's rows come in, views go out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from sessions.lifecycle import TERMINAL_STATES, SessionState
from sessions.readmodel.timeline_rows import TimelineRows
from sessions.readmodel.views import ConsoleView, PendingApprovalView, SessionView

if TYPE_CHECKING:  # the store's readers bring SQLAlchemy; the read model only gets their rows
    from sessions.schema.policy import Risk
    from sessions.store.approval_rows import ApprovalView
    from sessions.store.reading import SessionSummary
    from sessions.store.record import Record


@dataclass(frozen=True, slots=True, kw_only=True)
class Outline:
    """Where a console starts: the view to paint, and the sessions already folded in full."""

    view: ConsoleView
    rows: dict[str, TimelineRows] = field(default_factory=dict)
    """The timeline rows of the sessions ``view`` holds folded (a fixed list of records is
    folded whole); the others are outlines."""


def outline_of(
    *,
    sessions: Sequence[SessionSummary],
    pending: Sequence[ApprovalView],
    policy: Sequence[Record],
    last_seq: int,
) -> Outline:
    """The console as the projections read in one snapshot say it is: ``sessions`` in the
    order they began, the ``pending`` approvals oldest first, the policy's records (its
    reloads and rejections, and the first decision) and the log's last ``seq`` then."""
    from sessions.readmodel.reducer import policy_status  # the schema: after the first paint

    waiting: dict[str, list[PendingApprovalView]] = {}
    for approval in pending:
        waiting.setdefault(approval.session_id, []).append(_pending(approval))
    views = []
    for summary in sessions:
        state = _state(summary.state)
        # The reducer drops an ended session's requests; so does its outline.
        asked = () if state in TERMINAL_STATES else tuple(waiting.get(summary.session_id, ()))
        views.append(
            SessionView(
                session_id=summary.session_id,
                title=summary.title,
                state=state,
                workspace=summary.workspace,
                created_ts=summary.created_ts,
                updated_ts=summary.updated_ts,
                pending=asked,
                event_count=summary.event_count,
                agents_started=summary.agents,
            )
        )
    queue = tuple(p for v in views for p in v.pending)
    return Outline(
        view=ConsoleView(
            sessions=tuple(views),
            pending=tuple(sorted(queue, key=lambda p: p.requested_seq)),
            policy=policy_status(policy),
            running=sum(v.state in _RUNNING for v in views),
            last_seq=last_seq,
        )
    )


def folded_outline(records: Sequence[Record]) -> Outline:
    """Every session of ``records`` folded in full, with its rows (a fixed list of records:
    snapshot scenes and benchmarks, small and already in memory)."""
    from sessions.readmodel.reducer import Folder, parse_event, timeline_entry

    folder = Folder()
    rows: dict[str, TimelineRows] = {}
    for record in records:
        event = parse_event(record)
        if not folder.add(record, event):
            continue
        entry = timeline_entry(record, event)
        if entry is not None:
            found = rows.get(record.session_id)
            if found is None:
                found = rows[record.session_id] = TimelineRows(record.session_id)
            found.append(entry)
    view = folder.view()
    for session in view.sessions:
        rows.setdefault(session.session_id, TimelineRows(session.session_id))
    return Outline(view=view, rows=rows)


_RUNNING = frozenset({SessionState.RUNNING, SessionState.AWAITING_APPROVAL})


def _state(text: str) -> SessionState:
    try:
        return SessionState(text)
    except ValueError:  # a state this version does not know: shown as created, as folding would
        return SessionState.CREATED


def _pending(approval: ApprovalView) -> PendingApprovalView:
    """The queue's entry for a pending approval, from its projection row (the request's
    fields are kept there as JSON, as ``approval.requested`` carried them)."""
    request: dict[str, Any] = approval.request
    return PendingApprovalView(
        approval_id=approval.approval_id,
        session_id=approval.session_id,
        agent_id=approval.agent_id,
        role=approval.role,
        tool=approval.tool,
        summary=approval.summary,
        command=request.get("command"),
        diff=request.get("diff"),
        risk=cast("Risk", request.get("risk", "medium")),
        requested_ts=approval.requested_ts,
        requested_seq=approval.requested_seq,
        rule_id=request.get("rule_id"),
        paths=tuple(request.get("paths") or ()),
        cwd=request.get("cwd"),
        reason=request.get("reason", ""),
        owner=approval.owner,
    )
