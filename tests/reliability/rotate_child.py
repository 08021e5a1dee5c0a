"""Child process for the rotation crash test: rotates the key, and at the named step reports
it on stdout and waits to be killed (SIGKILL from the parent)."""

from __future__ import annotations

import sys

from agents.secrets.database_keys import KeyVault, rotate
from sessions.store.engine import open_engine


def main() -> None:
    """``rotate_child.py DB STEP``."""
    db, stop_at = sys.argv[1], sys.argv[2]

    def step(name: str) -> None:
        if name == stop_at:
            print(name, flush=True)
            sys.stdin.read()  # the parent kills us while we wait here

    rotate(open_engine(db, create=False), KeyVault(), step)
    print("finished", flush=True)


if __name__ == "__main__":
    main()
