"""The inline examples of each rule, run at load as unit tests of the policy (Codex's idea).

A `match` example must be one the rule applies to (to at least one of its parts), a `not_match`
example one it applies to in no part. Examples are judged in a fixed, imaginary workspace and
home, so they mean the same on every machine; `{workspace}` in an example expands to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from agents.auth.compiled import CompiledRule, LoadedPolicy
from agents.auth.parts import Context, request_parts
from agents.auth.policy_model import Example, ExampleCall, Rule
from agents.auth.requests import ToolKind, ToolRequest

EXAMPLE_WORKSPACE = Path("/quarterdeck-example/workspace")
EXAMPLE_HOME = Path("/quarterdeck-example/home")
EXAMPLE_ROLE = "implementer"


def example_failures(policy: LoadedPolicy) -> Iterator[tuple[int, str]]:
    """(rule index, message) for every example its rule gets wrong."""
    for compiled, rule in zip(policy.rules, policy.policy.rules, strict=True):
        for example in rule.match:
            if not applies(compiled, rule, example):
                yield compiled.index, f"match example {_show(example)} does not match this rule"
        for example in rule.not_match:
            if applies(compiled, rule, example):
                yield compiled.index, f"not_match example {_show(example)} matches this rule"


def applies(compiled: CompiledRule, rule: Rule, example: Example) -> bool:
    """True when `compiled` applies to some part of `example`."""
    request = _request(example, rule)
    ctx = Context.of(request, EXAMPLE_HOME)
    ws, home = str(ctx.workspace), str(ctx.home)
    return any(
        compiled.applies(part, request.role, workspace=ws, home=home)
        for part in request_parts(request, ctx)
    )


def _request(example: Example, rule: Rule) -> ToolRequest:
    default_role = rule.roles[0] if rule.roles else EXAMPLE_ROLE
    if isinstance(example, str):
        command = _expand(example)
        return ToolRequest(
            tool=ToolKind.EXECUTE, role=default_role, workspace=EXAMPLE_WORKSPACE, command=command
        )
    return ToolRequest(
        tool=example.kind,
        role=example.role or default_role,
        workspace=EXAMPLE_WORKSPACE,
        command=_expand(example.command) if example.command is not None else None,
        paths=(_expand(example.path),) if example.path is not None else (),
    )


def _expand(text: str) -> str:
    return text.replace("{workspace}", str(EXAMPLE_WORKSPACE))


def _show(example: Example) -> str:
    if isinstance(example, str):
        return repr(example)
    assert isinstance(example, ExampleCall)
    fields = example.model_dump(exclude_none=True)
    return "{" + ", ".join(f"{k} = {v!r}" for k, v in fields.items()) + "}"
