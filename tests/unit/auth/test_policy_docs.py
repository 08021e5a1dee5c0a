"""Every TOML snippet in docs/policy.md loads, so the documentation cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agents.auth.loader import load_policy_text

DOC = Path(__file__).parents[3] / "docs" / "policy.md"
SNIPPETS = re.findall(r"```toml\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
#: Appended, not prepended: a snippet may start with root keys such as `version`.
ROLE = '\n[roles.implementer]\ntools = ["read", "edit", "delete", "move", "execute"]\n'


def test_the_doc_has_snippets() -> None:
    assert len(SNIPPETS) >= 4


@pytest.mark.parametrize("snippet", SNIPPETS)
def test_snippet_loads(snippet: str) -> None:
    text = snippet if "[roles.implementer]" in snippet else snippet + ROLE
    load_policy_text(text)
