"""``policy check|show|decide|diff``: validate, inspect, try and compare policy files.

A policy that cannot be loaded exits 3 (not 1), so a script can tell "your policy is broken" from
any other failure; the problems are printed one per line as ``FILE:LINE: rule 'id': message``.
``decide`` and ``diff`` live in their own modules; this one registers all four and holds what
they share.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import orjson

from agents.auth.compiled import LoadedPolicy
from agents.auth.issues import PolicyError
from agents.auth.loader import default_policy, load_policy_file
from agents.auth.policy_model import CommandEntry, RoleProfile, Rule
from app.wiring.store import effective_policy

EXIT_INVALID = 3
"""The exit status when the policy to use cannot be loaded."""

DENIED_UNTIL_FIXED = "every tool call is denied until it is fixed"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``policy`` and its subcommands to the CLI."""
    # Imported here: both modules import the shared helpers below from this one.
    from app.commands import policy_decide, policy_diff

    policy = sub.add_parser("policy", help="check, show, try and compare policy files")
    policy_sub = policy.add_subparsers(dest="policy_command", required=True, metavar="COMMAND")

    p = policy_sub.add_parser("check", help="validate a policy file; exit 3 if it is invalid")
    p.add_argument("file", type=Path, help="the policy.toml to check")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(handler=cmd_check)

    p = policy_sub.add_parser("show", help="the policy in force: source, hash, roles, rules")
    p.add_argument("--json", action="store_true", help="print the policy as one JSON object")
    p.set_defaults(handler=cmd_show)

    policy_decide.register(policy_sub)
    policy_diff.register(policy_sub)


# ---- shared by the subcommands --------------------------------------------------------------


def print_issues(error: PolicyError, stream: TextIO) -> None:
    """Every problem of ``error``, one line each: ``FILE:LINE: rule 'id': message``."""
    for line in str(error).splitlines():
        stream.write(line + "\n")


def issues_json(error: PolicyError) -> list[dict[str, Any]]:
    """The problems of ``error`` as JSON objects: line, rule, message."""
    return [{"line": i.line, "rule": i.rule, "message": i.message} for i in error.issues]


def load_or_report(path: Path) -> LoadedPolicy | None:
    """The policy at ``path``, or None after printing its problems on stderr."""
    try:
        return load_policy_file(path)
    except PolicyError as error:
        print_issues(error, sys.stderr)
        print(f"quarterdeck: error: cannot use the policy {path}", file=sys.stderr)
        return None


def effective_or_report() -> tuple[LoadedPolicy, str] | None:
    """The policy in force and its origin, or None after printing why it cannot load."""
    try:
        return effective_policy()
    except PolicyError as error:
        _report_effective(error)
        return None


def _report_effective(error: PolicyError) -> None:
    print_issues(error, sys.stderr)
    print(
        f"quarterdeck: error: the policy file {error.source} is invalid; {DENIED_UNTIL_FIXED}",
        file=sys.stderr,
    )


def write_json(data: object) -> None:
    """One JSON object on one line of stdout."""
    sys.stdout.write(orjson.dumps(data).decode() + "\n")


# ---- check ----------------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    """Validate a file: ``ok: N rules, M roles, sha256 …`` or every problem, exit 3."""
    path: Path = args.file
    try:
        policy = load_policy_file(path)
    except PolicyError as error:
        if args.json:
            write_json({"ok": False, "path": str(path), "issues": issues_json(error)})
        else:
            print_issues(error, sys.stdout)
            count = len(error.issues)
            print(f"invalid: {count} problem{'s' if count != 1 else ''}")
        return EXIT_INVALID
    rules, roles = len(policy.rules), len(policy.ceilings)
    if args.json:
        write_json(
            {"ok": True, "path": str(path), "rules": rules, "roles": roles, "sha256": policy.sha256}
        )
    else:
        print(f"ok: {rules} rules, {roles} roles, sha256 {policy.sha256}")
    return 0


# ---- show -----------------------------------------------------------------------------------


def cmd_show(args: argparse.Namespace) -> int:
    """Print the effective policy; exit 3 (and say that everything is denied) if it is invalid."""
    try:
        policy, origin = effective_policy()
    except PolicyError as error:
        if args.json:
            write_json(
                {
                    "valid": False,
                    "source": str(error.source),
                    "issues": issues_json(error),
                    "note": DENIED_UNTIL_FIXED,
                }
            )
        _report_effective(error)
        return EXIT_INVALID
    builtin = policy is default_policy()
    if args.json:
        write_json(_policy_json(policy, origin, builtin=builtin))
    else:
        _print_policy(policy, origin)
    return 0


def _policy_json(policy: LoadedPolicy, origin: str, *, builtin: bool) -> dict[str, Any]:
    model = policy.policy
    return {
        "valid": True,
        "source": origin,
        "path": None if policy.source is None else str(policy.source),
        "builtin": builtin,
        "sha256": policy.sha256,
        "settings": model.settings.model_dump(mode="json"),
        "roles": {
            name: {**profile.model_dump(mode="json"), "summary": summarise_role(profile)}
            for name, profile in model.roles.items()
        },
        "rules": [
            {
                **rule.model_dump(mode="json", exclude_none=True, exclude={"match", "not_match"}),
                "examples": len(rule.match) + len(rule.not_match),
                "summary": summarise_rule(rule),
            }
            for rule in model.rules
        ],
    }


def _print_policy(policy: LoadedPolicy, origin: str) -> None:
    model = policy.policy
    settings = model.settings
    print(f"policy    {origin}")
    print(f"sha256    {policy.sha256}")
    protected = _listed(settings.protected_paths, str) if settings.protected_paths else "none"
    print(
        f"settings  approvals time out after {settings.approval_timeout_s:g} s;"
        f" extra protected paths: {protected}; on_violation: {settings.on_violation or 'none'}"
    )
    print(f"\nroles ({len(model.roles)})")
    width = max((len(name) for name in model.roles), default=0)
    for name, profile in model.roles.items():
        print(f"  {name:<{width}}  {summarise_role(profile)}")
    print(f"\nrules ({len(model.rules)}; per part the strictest applying rule wins)")
    width = max((len(rule.id) for rule in model.rules), default=0)
    for rule in model.rules:
        print(f"  {rule.decision.value:<5}  {rule.id:<{width}}  {summarise_rule(rule)}")


# ---- one-line summaries of matchers ---------------------------------------------------------

#: How many entries of a list a summary names before "+N more".
SHOWN = 3
#: How many alternatives of one pattern element a summary names.
ALTERNATIVES = 4


def _listed(items: Sequence[Any], render: Callable[[Any], str] = str) -> str:
    shown = ", ".join(render(item) for item in items[:SHOWN])
    more = len(items) - SHOWN
    return shown + (f" +{more} more" if more > 0 else "")


def _pattern(entry: CommandEntry) -> str:
    """`["git", ["status", "diff"]]` → `git (status|diff)`; a set reference stays `@name`."""
    if isinstance(entry, str):
        return entry
    return " ".join(e if isinstance(e, str) else _alternatives(e) for e in entry)


def _alternatives(words: list[str]) -> str:
    shown = "|".join(words[:ALTERNATIVES])
    more = len(words) - ALTERNATIVES
    return f"({shown}|+{more} more)" if more > 0 else f"({shown})"


def summarise_rule(rule: Rule) -> str:
    """A rule's matchers on one line, e.g. ``commands: git (push) | with_args: -f, --force*``."""
    fields: list[str] = []
    if rule.roles is not None:
        fields.append("roles: " + _listed(rule.roles))
    if rule.tools is not None:
        fields.append("tools: " + _listed([str(t) for t in rule.tools]))
    if rule.commands is not None:
        fields.append("commands: " + _listed(rule.commands, _pattern))
    if rule.with_args is not None:
        fields.append("with_args: " + _listed(rule.with_args))
    if rule.only_args is not None:
        fields.append("only_args: " + (_listed(rule.only_args) or "(nothing)"))
    if rule.paths is not None:
        fields.append("paths: " + _listed(rule.paths))
    return " | ".join(fields)


def summarise_role(profile: RoleProfile) -> str:
    """A role's ceiling on one line: its tools, path limit and command limit."""
    tools = ", ".join(sorted(str(t) for t in profile.tools)) or "none"
    paths = "any" if profile.paths is None else (_listed(profile.paths) or "none")
    commands = (
        "any" if profile.commands is None else (_listed(profile.commands, _pattern) or "none")
    )
    return f"tools: {tools} | paths: {paths} | commands: {commands}"
