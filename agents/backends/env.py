"""The explicit, scrubbed environment an agent process (and its terminals) starts with.

An agent inherits only a short allowlist of the console's variables, never anything that looks
like a credential unless the team file grants it, and never our own virtualenv: an agent that
runs ``python`` must get the project's interpreter, not Quarterdeck's.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Mapping

ALLOWED = ("PATH", "HOME", "LANG", "TERM", "USER", "LOGNAME", "SHELL", "TMPDIR", "TZ")
"""Parent variables passed through (plus every ``LC_*``)."""

SECRET_PATTERNS = (
    "*KEY*",
    "*SECRET*",
    "*TOKEN*",
    "*PASSWORD*",
    "*PASSWD*",
    "*CREDENTIAL*",
    "*AUTH*",
    "AWS_*",
    "AZURE_*",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GH_*",
    "GITHUB_*",
)
"""Names that look like secrets; case-insensitive globs."""


def looks_secret(name: str) -> bool:
    """True when ``name`` looks like it holds a credential."""
    upper = name.upper()
    return any(fnmatch.fnmatchcase(upper, pattern) for pattern in SECRET_PATTERNS)


def _inside(entry: str, prefix: str) -> bool:
    entry_path = os.path.realpath(entry)
    root = os.path.realpath(prefix)
    return entry_path == root or entry_path.startswith(root.rstrip(os.sep) + os.sep)


def scrub_path(path: str, *, prefix: str, base_prefix: str, venv: str | None = None) -> str:
    """``path`` without entries inside our virtualenv (``prefix`` when it is not the base)."""
    roots = [r for r in (venv, prefix if prefix != base_prefix else None) if r]
    kept = [e for e in path.split(os.pathsep) if e and not any(_inside(e, r) for r in roots)]
    return os.pathsep.join(kept)


def scrubbed_env(
    granted: Mapping[str, str] | None = None,
    *,
    parent: Mapping[str, str] | None = None,
    prefix: str | None = None,
    base_prefix: str | None = None,
) -> dict[str, str]:
    """The environment for an agent: the allowlist minus secrets and our venv, plus ``granted``.

    ``parent``, ``prefix`` and ``base_prefix`` default to this process's; tests pass their own.
    Granted variables are added last and win, secrets included: the team file said so.
    """
    source = os.environ if parent is None else parent
    env: dict[str, str] = {}
    for name, value in source.items():
        allowed = name in ALLOWED or name.startswith("LC_")
        # Shell functions exported as variables ("() { ...") are never wanted by an agent.
        if allowed and not looks_secret(name) and not value.startswith("()"):
            env[name] = value
    if "PATH" in env:
        env["PATH"] = scrub_path(
            env["PATH"],
            prefix=sys.prefix if prefix is None else prefix,
            base_prefix=sys.base_prefix if base_prefix is None else base_prefix,
            venv=source.get("VIRTUAL_ENV"),
        )
    env.update(granted or {})
    return env
