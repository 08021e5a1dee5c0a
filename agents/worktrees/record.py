"""What the log says about sessions' worktrees: where each was made, and what became of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine

from agents.worktrees.create import Worktree
from sessions.lifecycle import TERMINAL_STATES
from sessions.schema.registry import parse_payload
from sessions.schema.worktree import WorktreeCreated, WorktreeKept, WorktreeMerged
from sessions.store.reading import list_sessions, records_of_kinds
from sessions.store.record import Record

WorktreeState = Literal["open", "kept", "merged", "discarded"]
"""``open``: made and not finished yet; ``kept``: its changes committed on its branch;
``merged``, ``discarded``: removed."""

KINDS = ("worktree.created", "worktree.kept", "worktree.merged", "worktree.discarded")
"""The kinds that say where a worktree is and what became of it (a refusal changes nothing)."""

_STATES: dict[str, WorktreeState] = {
    "worktree.kept": "kept",
    "worktree.merged": "merged",
    "worktree.discarded": "discarded",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Recorded:
    """A session's worktree as the log has it."""

    worktree: Worktree
    state: WorktreeState
    kept: tuple[str, ...] = ()
    """The commits Quarterdeck made on its branch (each ``keep``), oldest first."""
    session_state: str = ""
    """Its session's state, from the sessions projection."""

    @property
    def session_ended(self) -> bool:
        """Its session has reached a terminal state."""
        return self.session_state in {str(s) for s in TERMINAL_STATES}

    @property
    def removed(self) -> bool:
        """Merged or discarded: the worktree is gone (or should be)."""
        return self.state in ("merged", "discarded")


def _fold(records: list[Record], states: dict[str, str]) -> dict[str, Recorded]:
    found: dict[str, Recorded] = {}
    for record in records:
        sid = record.session_id
        payload = parse_payload(record.kind, record.payload)
        if isinstance(payload, WorktreeCreated):
            found[sid] = Recorded(
                worktree=Worktree.of(sid, payload), state="open", session_state=states.get(sid, "")
            )
            continue
        before = found.get(sid)
        if before is None:
            continue  # an end with no start: nothing to say about it
        kept = before.kept
        if isinstance(payload, (WorktreeKept, WorktreeMerged)) and payload.commit:
            kept = (*kept, payload.commit)
        found[sid] = Recorded(
            worktree=before.worktree,
            state=_STATES[record.kind],
            kept=kept,
            session_state=before.session_state,
        )
    return found


def _states(engine: Engine) -> dict[str, str]:
    return {s.session_id: s.state for s in list_sessions(engine, keyless=True)}


def recorded(engine: Engine, session_id: str) -> Recorded | None:
    """``session_id``'s worktree; None when it has none. Blocking (it reads the database)."""
    records = records_of_kinds(engine, KINDS, session_id=session_id)
    if not records:
        return None
    return _fold(records, _states(engine)).get(session_id)


def all_recorded(engine: Engine) -> list[Recorded]:
    """Every session's worktree, oldest first. Blocking (it reads the database)."""
    return list(_fold(records_of_kinds(engine, KINDS), _states(engine)).values())
