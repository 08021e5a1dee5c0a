"""What a re-drive found: the divergences, where it stopped, and how much it compared.

A *decision* divergence is reported and the re-drive goes on, answering the agent as the
recording did (its next frames assume that answer). Anything else — another handoff, a prompt
the recording does not have, another answer to the agent, checks or a review that were never
recorded, another outcome — ends the session's re-drive there: past it, the recording no
longer says what would have happened (docs/decisions.md, D25).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NoReturn


class Kind(StrEnum):
    """What diverged."""

    DECISION = "decision"
    HANDOFF = "handoff"
    PROMPT = "prompt"
    ANSWER = "answer"
    CHECKS = "checks"
    REVIEW = "review"
    OUTCOME = "outcome"


@dataclass(frozen=True, slots=True, kw_only=True)
class Divergence:
    """One place where the new run differs from the recorded one."""

    seq: int
    """The recorded event it differs from (the nearest one when something is missing)."""
    kind: Kind
    expected: str
    actual: str
    agent_id: str = ""
    detail: str = ""
    stopped: bool = False
    """The re-drive of the session ended here."""
    redriven: bool = True
    """False for a decision re-checked alone, after the re-drive had stopped."""

    def as_dict(self) -> dict[str, object]:
        """For ``--json``."""
        return {
            "seq": self.seq,
            "kind": self.kind.value,
            "agent_id": self.agent_id or None,
            "expected": self.expected,
            "actual": self.actual,
            "detail": self.detail,
            "stopped": self.stopped,
            "redriven": self.redriven,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class RedriveReport:
    """The result of re-driving one session."""

    session_id: str
    tool_calls: int
    handoffs: int
    runs: int
    divergences: tuple[Divergence, ...]
    ended_early: bool
    """The session's log stops inside a run (its process died, or it was cancelled):
    re-driven up to there."""
    reached: frozenset[int] = frozenset()
    """The ``tool.requested`` seqs of the recorded gate calls the re-drive made again."""

    @property
    def diverged(self) -> bool:
        """Whether anything diverged."""
        return bool(self.divergences)

    @property
    def stop(self) -> Divergence | None:
        """The divergence that ended the re-drive, if one did."""
        return next((d for d in self.divergences if d.stopped), None)


class Halted(Exception):
    """Raised where a re-drive cannot go on, in a task other than the run's own."""


@dataclass(kw_only=True)
class Journal:
    """Collects divergences and counts; ends the run's task when the re-drive must stop."""

    divergences: list[Divergence] = field(default_factory=list)
    tool_calls: int = 0
    handoffs: int = 0
    complete: bool = True
    """The current run reached its end in the log (see ``Segment.complete``)."""
    stopped: bool = False
    ended: bool = False
    position: int = 0
    """The ``seq`` of the last recorded event the re-drive matched: where "missing" is."""
    decided: set[int] = field(default_factory=set)
    """The ``tool.requested`` seqs of the recorded gate calls the re-drive made again."""
    _task: asyncio.Task[object] | None = None

    def begin(self, task: asyncio.Task[object], *, complete: bool, first_seq: int) -> None:
        """A new run, whose records start at ``first_seq``, starts in ``task``."""
        self._task, self.complete, self.ended = task, complete, False
        self.position = first_seq

    def note(self, divergence: Divergence) -> None:
        """Record a divergence the re-drive goes on after (a decision)."""
        self.divergences.append(divergence)

    def halt(self, divergence: Divergence | None) -> None:
        """Record the divergence that ends the re-drive (None: the log simply ends here) and
        cancel the run's task — the runner finishes as any cancelled session does."""
        if not (self.stopped or self.ended):
            if divergence is None:
                self.ended = True
            else:
                self.stopped = True
                stopping = Divergence(
                    seq=divergence.seq,
                    kind=divergence.kind,
                    expected=divergence.expected,
                    actual=divergence.actual,
                    agent_id=divergence.agent_id,
                    detail=divergence.detail,
                    stopped=True,
                )
                self.divergences.append(stopping)
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def beyond(self, divergence: Divergence) -> None:
        """The run wants something the log does not have: in a run the log has to its end
        that is a divergence; in a run the log stops inside, it is simply the end."""
        self.halt(divergence if self.complete else None)

    async def halt_here(self, divergence: Divergence, *, beyond: bool = False) -> NoReturn:
        """:meth:`halt` (or :meth:`beyond`) from inside the run's own task: the cancellation
        is taken at once, so nothing after this call runs."""
        if beyond:
            self.beyond(divergence)
        else:
            self.halt(divergence)
        await asyncio.sleep(0)
        raise Halted("the re-drive stopped")  # only reached outside the run's task
