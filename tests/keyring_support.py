"""A real keyring that outlives processes for tests: keyrings.alt's plaintext file backend.

It lives under ``XDG_DATA_HOME`` (a temp dir) and needs Quarterdeck's explicit opt-in, which is
exactly what these tests exercise; the environment variables reach child processes too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from keyrings.alt.file import PlaintextKeyring

PLAINTEXT = "keyrings.alt.file.PlaintextKeyring"


def use_plaintext_keyring(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Select the plaintext file backend in ``root`` for this process and its children;
    returns the keyring file's path."""
    monkeypatch.setenv("XDG_DATA_HOME", str(root))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", PLAINTEXT)
    monkeypatch.setenv("QUARTERDECK_INSECURE_KEYRING", "1")
    return Path(PlaintextKeyring().file_path)
