"""Re-drive one stored session: read its log, re-drive it in a scratch directory, and re-decide
on their own the recorded calls the re-drive did not reach (it stopped before them)."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Engine

from agents.auth.canary import redecide
from agents.auth.compiled import LoadedPolicy
from agents.auth.egress import KnownSecret
from agents.redrive.journal import Divergence, Kind, RedriveReport
from agents.redrive.origins import as_recorded, recorded_workspaces
from agents.redrive.recording import read_recording
from agents.redrive.runner import redrive
from sessions.store.crypto import cipher_for
from sessions.store.reading import load_session

_MASK = re.compile(r"\[REDACTED:([^\]\s]+)\]")


def masked_secrets(names: Iterable[str]) -> KnownSecret:
    """Finds a stored secret in recorded text. The log keeps a secret's value (and its
    encodings) masked as ``[REDACTED:<name>]``; the live gate saw the value itself, so the mask
    of one of ``names`` (the keyring's) stands for it."""
    wanted = frozenset(names)

    def find(text: str) -> str | None:
        return next((m.group(1) for m in _MASK.finditer(text) if m.group(1) in wanted), None)

    return find


async def redrive_session(
    engine: Engine,
    session_id: str,
    policy: LoadedPolicy,
    *,
    protected: tuple[Path, ...] = (),
    home: Path | None = None,
    secret_names: Iterable[str] = (),
    fallback_workspace: Path,
) -> RedriveReport:
    """Re-drive ``session_id`` of ``engine``'s log under ``policy``; nothing is executed and
    the log is only read. ``secret_names`` are the stored secrets (their masks in the log count
    as their values); ``fallback_workspace`` judges calls of a log that names none."""
    records = await asyncio.to_thread(load_session, engine, session_id)
    workspaces = await asyncio.to_thread(recorded_workspaces, engine, records)
    recording = read_recording(records, workspaces)
    with tempfile.TemporaryDirectory(prefix="quarterdeck-redrive-") as scratch:
        report = await redrive(
            recording,
            policy,
            scratch=Path(scratch),
            sealed=cipher_for(engine) is not None,
            protected=protected,
            home=home,
            known_secret=masked_secrets(secret_names),
        )
    arranged = await asyncio.to_thread(as_recorded, engine, records)
    rechecked = redecide(
        arranged,
        policy,
        current=policy,
        fallback_workspace=fallback_workspace,
        protected=protected,
        home=home,
    )
    alone: list[Divergence] = []
    for item in rechecked:
        if item.changed and item.seq not in report.reached and item.old_recorded:
            old, new = _shown(item.old.value, item.old_rule), _shown(item.new.value, item.new_rule)
            alone.append(
                Divergence(
                    seq=item.seq,
                    kind=Kind.DECISION,
                    expected=old,
                    actual=new,
                    agent_id=item.agent_id,
                    detail=item.subject,
                    redriven=False,
                )
            )
    if not alone:
        return report
    return dataclasses.replace(report, divergences=report.divergences + tuple(alone))


def _shown(decision: str, rule: str | None) -> str:
    return f"{decision} ({rule})" if rule else decision
