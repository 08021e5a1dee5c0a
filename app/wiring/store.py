"""The composition root: builds the store, finds the policy in force, wires the layers."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from sqlalchemy import Engine

from agents.auth.compiled import LoadedPolicy
from agents.auth.issues import PolicyError
from agents.auth.loader import default_policy, load_policy_file
from app.paths import config_dir, data_dir
from sessions.errors import QuarterdeckError
from sessions.store.anchors import AnchorLog, anchors_path_for
from sessions.store.data_keys import read_state
from sessions.store.engine import database_path, open_engine
from sessions.store.event_store import EventStore
from sessions.store.redaction import RedactingFilter, Redactor, redacting_filter


def anchors_for(engine: Engine) -> AnchorLog | None:
    """The anchors file of a database (in the data directory), or None for in-memory ones."""
    path = database_path(engine)
    return None if path is None else AnchorLog(anchors_path_for(data_dir(), path))


def build_redactor(
    secrets: Iterable[tuple[str, str]] = (),
    *,
    pii: bool = True,
    patterns: Mapping[str, str] | None = None,
) -> Redactor:
    """The redactor for payloads and logs: credential patterns, PII (on by default), the
    exact values of ``secrets`` (name, value) pairs, e.g. the keyring's ``known_values()``,
    and ``patterns`` (name → regex) of the policy's ``[redaction]`` table."""
    return Redactor(secrets, pii=pii, extra=patterns)


def policy_redactor(
    secrets: Iterable[tuple[str, str]] = (), *, policy: Path | None = None
) -> Redactor:
    """:func:`build_redactor` with the ``[redaction]`` settings of ``policy`` (default: the
    policy in force).

    An invalid policy file gives the defaults (PII masked, no extra patterns): masking more is
    the safe side, and the policy's own error is reported where it is loaded.
    """
    try:
        if policy is not None:
            loaded = load_policy_file(policy) if policy.exists() else default_policy()
        else:
            loaded, _ = effective_policy()
    except PolicyError:
        return build_redactor(secrets)
    settings = loaded.policy.redaction
    return build_redactor(secrets, pii=settings.pii, patterns=settings.patterns)


def install_log_redaction(redactor: Redactor, logger: logging.Logger | None = None) -> int:
    """Put a redacting filter on every handler of ``logger`` (the root logger by default),
    replacing one installed before; returns how many handlers got it. Handler filters see the
    records of every logger that propagates there, so log files are covered too."""
    target = logger if logger is not None else logging.getLogger()
    for handler in target.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(redacting_filter(redactor))
    return len(target.handlers)


def open_database(db: str | Path, *, create: bool = False) -> Engine:
    """An engine on ``db`` whose readers decrypt: when the database is encrypted, its key is
    loaded from the keyring (a rotation a crash interrupted is settled first)."""
    engine = open_engine(db, create=create)
    if read_state(engine) is not None:
        from agents.secrets.database_keys import KeyVault, open_cipher

        open_cipher(engine, KeyVault(), create=False)
    return engine


def open_database_keyless(db: str | Path) -> tuple[Engine, QuarterdeckError | None]:
    """:func:`open_database`, except that a key which cannot be loaded (not in this keyring,
    no usable keyring) is returned as the reason, not raised: the engine then reads only what
    is not encrypted (``quarterdeck sessions`` lists ids and states)."""
    engine = open_engine(db, create=False)
    if read_state(engine) is None:
        return engine, None
    from agents.secrets.database_keys import KeyVault, open_cipher

    try:
        open_cipher(engine, KeyVault(), create=False)
    except QuarterdeckError as exc:
        return engine, exc
    return engine, None


def open_store(
    db: str | Path, *, create: bool = True, redactor: Redactor | None = None
) -> EventStore:
    """An event store on ``db`` with anchors in the data directory and every payload redacted
    (before hashing) by ``redactor`` or :func:`build_redactor`'s default.

    With ``[storage] encrypt = true`` in ``config.toml`` new payloads are sealed (the database
    is made encrypted if it was not); an encrypted database is always read with its key."""
    from app.settings import load_settings

    encrypt = load_settings().storage.encrypt
    engine = open_engine(db, create=create)
    cipher = None
    if encrypt or read_state(engine) is not None:
        from agents.secrets.database_keys import KeyVault, open_cipher

        try:
            cipher = open_cipher(engine, KeyVault(), create=encrypt)
        except BaseException:
            engine.dispose()
            raise
    redact = redactor if redactor is not None else policy_redactor()
    install_log_redaction(redact)
    from sessions.readmodel.snapshots import EVERY

    anchors = anchors_for(engine)
    return EventStore(engine, redact=redact, anchors=anchors, cipher=cipher, snapshot_every=EVERY)


def policy_file() -> Path:
    """The user's policy file: ``QUARTERDECK_POLICY`` or ``policy.toml`` in the config dir."""
    override = os.environ.get("QUARTERDECK_POLICY")
    return Path(override).expanduser() if override else config_dir() / "policy.toml"


def effective_policy() -> tuple[LoadedPolicy, str]:
    """The policy in force and where it came from: the user's file if there is one, else the
    built-in default. Raises ``PolicyError`` when the user's file is invalid."""
    path = policy_file()
    if path.exists():
        return load_policy_file(path), str(path)
    return default_policy(), "built-in default (sessions/configs/policy.toml)"


def protected_dirs() -> tuple[Path, ...]:
    """Quarterdeck's own directories, which no agent may write (and reads are asked)."""
    return (config_dir(), data_dir())
