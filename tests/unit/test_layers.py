"""The core never loads Textual: checked in a fresh interpreter, as import-linter checks code."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_core_leaves_textual_out() -> None:
    code = (
        "import sys, agents, sessions, sessions.store, sessions.verify, sessions.transfer;"
        "import sessions.memory, sessions.reading;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'));"
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"the core imported: {done.stdout}{done.stderr}"
