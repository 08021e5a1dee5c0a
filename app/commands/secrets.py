"""``secrets set|list|rm|rotate-key``: secrets in the OS keyring, for team files to hand to
agents, and the rotation of the database's encryption key.

A value is never taken from the command line (argv is visible to every user through ``ps``):
``set`` prompts for it without echo on a terminal, and otherwise reads it from stdin.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING, TextIO

from app.paths import data_dir

if TYPE_CHECKING:
    from agents.secrets.keyring_store import SecretStore

INDEX_FILE = "secrets.json"
"""The index of secret names (never values), in the data directory."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``secrets`` and its actions to the CLI."""
    p = sub.add_parser("secrets", help="store, list and remove secrets in the OS keyring")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    s = actions.add_parser(
        "set", help="store a secret (the value from a hidden prompt, or from stdin)"
    )
    s.add_argument("name", metavar="NAME")
    s.set_defaults(handler=cmd_set)
    ls = actions.add_parser("list", help="list the names of stored secrets (never values)")
    ls.set_defaults(handler=cmd_list)
    rm = actions.add_parser("rm", help="remove a secret")
    rm.add_argument("name", metavar="NAME")
    rm.set_defaults(handler=cmd_rm)
    rk = actions.add_parser(
        "rotate-key",
        help="rotate the database's encryption key (the data keys are rewrapped, no event is"
        " rewritten)",
    )
    rk.set_defaults(handler=cmd_rotate_key)


def open_store() -> SecretStore:
    """The user's secret store (refused when the keyring backend cannot keep secrets)."""
    from agents.secrets.keyring_store import SecretStore

    return SecretStore(data_dir() / INDEX_FILE)


def read_value(name: str, stdin: TextIO | None = None) -> str:
    """The value for ``name``: a hidden prompt on a terminal, else all of stdin.

    One trailing newline (``echo value |``) is dropped; an empty value is refused.
    """
    from agents.secrets.keyring_store import SecretsError

    source = sys.stdin if stdin is None else stdin
    if source.isatty():
        value = getpass.getpass(f"value for secret {name}: ")
    else:
        value = source.read()
        if value.endswith("\n"):
            value = value[:-1]
            if value.endswith("\r"):
                value = value[:-1]
    if not value:
        raise SecretsError(f"empty value: nothing stored for secret {name!r}")
    return value


def cmd_set(args: argparse.Namespace) -> int:
    """Store a secret; the value is never printed."""
    from agents.secrets.keyring_store import validate_name

    name = validate_name(args.name)
    store = open_store()
    store.set(name, read_value(name))
    print(f"stored secret {name} in {store.backend_name}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Print the stored secrets' names, one a line."""
    for name in open_store().names():
        print(name)
    return 0


def cmd_rm(args: argparse.Namespace) -> int:
    """Remove a secret."""
    from agents.secrets.keyring_store import validate_name

    name = validate_name(args.name)
    open_store().delete(name)
    print(f"removed secret {name}")
    return 0


def cmd_rotate_key(args: argparse.Namespace) -> int:
    """Rotate the key-encryption key of the database given by ``--db``."""
    from agents.secrets.database_keys import KeyVault, rotate
    from sessions.store.engine import open_engine

    engine = open_engine(args.db, create=False)
    try:
        state = rotate(engine, KeyVault())
    finally:
        engine.dispose()
    print(
        f"rotated the key of {args.db}: key-encryption key version {state.kek_version},"
        f" {len(state.wrapped)} data keys (new payloads use data key {state.current_key})"
    )
    return 0
