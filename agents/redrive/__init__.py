"""Re-drive: run the orchestrator again over a recorded session, executing nothing.

Every agent is replaced by its recorded ACP frames, the validator by its recorded results and
every human by their recorded answers; the real ``SessionRunner``, ``Workflow``, client code and
gate do the rest, under the policy chosen. Where the new run decides, hands off, prompts or
answers differently, that is a divergence — the regression test for policy and orchestrator
changes, as Temporal's replayer is for workflows.
"""

from __future__ import annotations

from agents.redrive.journal import Divergence, Kind, RedriveReport
from agents.redrive.session import redrive_session

__all__ = ["Divergence", "Kind", "RedriveReport", "redrive_session"]
