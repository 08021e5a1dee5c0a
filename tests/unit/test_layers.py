"""Import boundaries, checked in a fresh interpreter as import-linter checks code: the core never
loads Textual, and the console app does not load the core's slow half before its first frame."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_core_leaves_textual_out() -> None:
    code = (
        "import sys, agents, sessions, sessions.store.event_store, sessions.store.verify, sessions.store.transfer;"
        "import sessions.store.memory, sessions.store.reading;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'));"
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"the core imported: {done.stdout}{done.stderr}"


def test_the_console_paints_before_loading_agents_sqlalchemy_and_pydantic() -> None:
    """The app and its screens leave out ``agents``, SQLAlchemy and the ACP schema (about a
    second), pydantic and the event schema built on it (a tenth of a second), and pygments:
    they load after the first paint (docs/decisions.md D22, D27)."""
    code = (
        "import sys, app.cli, app.console, app.commands.console, app.console_settings;"
        "slow = ('agents', 'sqlalchemy', 'acp', 'pydantic', 'pygments');"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in slow"
        " or m.startswith('sessions.schema'));"
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"the console imported: {done.stdout}{done.stderr}"
