"""Re-drive one stored session: read its log, re-drive it in a scratch directory, and re-decide
on their own the recorded calls the re-drive did not reach (it stopped before them)."""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
from pathlib import Path

from sqlalchemy import Engine

from agents.auth.canary import redecide
from agents.auth.compiled import LoadedPolicy
from agents.redrive.journal import Divergence, Kind, RedriveReport
from agents.redrive.origins import as_recorded, recorded_workspaces
from agents.redrive.recording import read_recording
from agents.redrive.runner import redrive
from sessions.reading import load_session


async def redrive_session(
    engine: Engine,
    session_id: str,
    policy: LoadedPolicy,
    *,
    protected: tuple[Path, ...] = (),
    home: Path | None = None,
    fallback_workspace: Path,
) -> RedriveReport:
    """Re-drive ``session_id`` of ``engine``'s log under ``policy``; nothing is executed and
    the log is only read. ``fallback_workspace`` judges calls of a log that names none."""
    records = await asyncio.to_thread(load_session, engine, session_id)
    workspaces = await asyncio.to_thread(recorded_workspaces, engine, records)
    recording = read_recording(records, workspaces)
    with tempfile.TemporaryDirectory(prefix="quarterdeck-redrive-") as scratch:
        report = await redrive(
            recording, policy, scratch=Path(scratch), protected=protected, home=home
        )
    arranged = await asyncio.to_thread(as_recorded, engine, records)
    rechecked = redecide(
        arranged, policy, current=policy, fallback_workspace=fallback_workspace,
        protected=protected, home=home,
    )  # fmt: skip
    alone: list[Divergence] = []
    for item in rechecked:
        if item.changed and item.seq not in report.reached and item.old_recorded:
            old, new = _shown(item.old.value, item.old_rule), _shown(item.new.value, item.new_rule)
            alone.append(
                Divergence(
                    item.seq, Kind.DECISION, old, new, item.agent_id, item.subject, redriven=False
                )
            )
    if not alone:
        return report
    return dataclasses.replace(report, divergences=report.divergences + tuple(alone))


def _shown(decision: str, rule: str | None) -> str:
    return f"{decision} ({rule})" if rule else decision
