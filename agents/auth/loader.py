"""Loading a policy: parse → validate → expand → compile → run the inline examples.

Nothing half-loaded ever escapes: every problem found along the way is collected, and any one of
them rejects the whole file with a `PolicyError` naming the lines and rules. The caller keeps the
previous policy active when a reload fails (OPA's rule), so a bad edit cannot open the gate.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from agents.auth import matchers
from agents.auth.ceiling import Ceiling
from agents.auth.compiled import CompiledRule, LoadedPolicy
from agents.auth.examples import example_failures
from agents.auth.issues import LineIndex, Loc, PolicyError, PolicyIssue, toml_error_line
from agents.auth.matchers import ArgGlobs, CommandPattern, compile_pattern
from agents.auth.policy_model import CommandEntry, PolicyFile, Rule

DEFAULT_PACKAGE = "sessions.configs"
DEFAULT_NAME = "policy.toml"


def load_policy_file(path: Path) -> LoadedPolicy:
    """Load the policy at `path`; raises `PolicyError` (also when it cannot be read)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        issue = PolicyIssue(None, None, f"cannot read the policy: {exc.strerror or exc}")
        raise PolicyError([issue], source=path) from exc
    return _load(data, source=path)


def load_policy_text(text: str, *, source: Path | None = None) -> LoadedPolicy:
    """Load a policy from its text; `source` names it in errors and protects it on disk."""
    return _load(text.encode("utf-8", "surrogatepass"), source=source)


@lru_cache(maxsize=1)
def default_policy() -> LoadedPolicy:
    """The policy shipped in `sessions/configs/policy.toml`."""
    resource = importlib.resources.files(DEFAULT_PACKAGE).joinpath(DEFAULT_NAME)
    source = resource if isinstance(resource, Path) else None
    return _load(resource.read_bytes(), source=source)


def _load(data: bytes, *, source: Path | None) -> LoadedPolicy:
    try:
        return _Loader(data=data, source=source).run()
    except PolicyError:
        raise
    except Exception as exc:  # a loader bug must reject the file, never half-load it
        issue = PolicyIssue(None, None, f"internal error while loading: {exc!r}")
        raise PolicyError([issue], source=source) from exc


@dataclass(kw_only=True)
class _Loader:
    """One load: collects issues as it goes, raises them all at the first stage that has any."""

    data: bytes
    source: Path | None
    issues: list[PolicyIssue] = field(default_factory=list)
    lines: LineIndex = field(init=False)
    raw_ids: dict[int, str] = field(default_factory=dict)
    policy: PolicyFile = field(init=False)

    def run(self) -> LoadedPolicy:
        """Every stage in order; the first stage with issues raises them all."""
        try:
            text = self.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            self._fail(None, None, f"the file is not UTF-8 ({exc.reason} at byte {exc.start})")
        self.lines = LineIndex(text)
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            self._fail(toml_error_line(str(exc), text), None, f"TOML syntax: {exc}")
        except (ValueError, RecursionError) as exc:
            self._fail(None, None, f"TOML syntax: {exc}")
        self.raw_ids = _raw_rule_ids(raw)
        try:
            policy = PolicyFile.model_validate(raw)
        except ValidationError as exc:
            self.issues.extend(self._validation_issue(e) for e in _useful_errors(exc))
            raise PolicyError(self.issues, source=self.source) from None
        self.policy = policy
        matchers.clear_caches()
        ceilings = {name: self._ceiling(name) for name in policy.roles}
        rules = tuple(self._rule(i, r) for i, r in enumerate(policy.rules))
        self._check_ids()
        self._check_redaction()
        if self.issues:
            raise PolicyError(self.issues, source=self.source)
        loaded = LoadedPolicy.build(
            policy,
            source=self.source,
            sha256=hashlib.sha256(self.data).hexdigest(),
            rules=rules,
            ceilings=ceilings,
        )
        for index, message in example_failures(loaded):
            rule = policy.rules[index]
            self.issues.append(PolicyIssue(self._rule_line(index), rule.id, message))
        if self.issues:
            raise PolicyError(self.issues, source=self.source)
        return loaded

    # ---- expansion ------------------------------------------------------------------------

    def _ceiling(self, name: str) -> Ceiling:
        profile = self.policy.roles[name]
        where: Loc = ("roles", name)
        paths = None if profile.paths is None else self._paths(profile.paths, where, None)
        commands = None
        if profile.commands is not None:
            commands = self._commands(profile.commands, where, None)
        return Ceiling.of(profile.tools, paths=paths, commands=commands)

    def _rule(self, index: int, rule: Rule) -> CompiledRule:
        where: Loc = ("rules", index)
        for role in rule.roles or ():
            if role not in self.policy.roles:
                self._issue(where, rule.id, f"unknown role '{role}' (no [roles.{role}] table)")
        return CompiledRule(
            index=index,
            id=rule.id,
            decision=rule.decision,
            reason=rule.reason,
            tools=frozenset(rule.tools) if rule.tools is not None else None,
            commands=None
            if rule.commands is None
            else self._commands(rule.commands, where, rule.id),
            with_args=ArgGlobs.of(rule.with_args) if rule.with_args is not None else None,
            only_args=ArgGlobs.of(rule.only_args) if rule.only_args is not None else None,
            paths=None if rule.paths is None else self._paths(rule.paths, where, rule.id),
            roles=frozenset(rule.roles) if rule.roles is not None else None,
            flows=frozenset(rule.flows) if rule.flows is not None else None,
        )

    def _commands(
        self, entries: list[CommandEntry], where: Loc, rule: str | None
    ) -> tuple[CommandPattern, ...]:
        patterns: list[CommandPattern] = []
        for entry in entries:
            if not isinstance(entry, str):
                patterns.append(compile_pattern(entry))
            elif entry.startswith("@") and entry[1:] in self.policy.command_sets:
                patterns.extend(compile_pattern(p) for p in self.policy.command_sets[entry[1:]])
            elif entry.startswith("@"):
                self._issue((*where, "commands"), rule, f"unknown command set '{entry}'")
            else:
                hint = ", ".join(f'"{w}"' for w in entry.split())
                self._issue(
                    (*where, "commands"), rule, f"'{entry}' is not a pattern; write [{hint}]"
                )
        return tuple(patterns)

    def _paths(self, entries: list[str], where: Loc, rule: str | None) -> tuple[str, ...]:
        globs: list[str] = []
        for entry in entries:
            expanded = [entry]
            if entry.startswith("@"):
                expanded = self.policy.path_sets.get(entry[1:], [])
                if entry[1:] not in self.policy.path_sets:
                    self._issue((*where, "paths"), rule, f"unknown path set '{entry}'")
            for glob in expanded:
                if (error := matchers.glob_error(glob)) is not None:
                    self._issue((*where, "paths"), rule, error)
                globs.append(glob)
        return tuple(globs)

    def _check_ids(self) -> None:
        first: dict[str, int] = {}
        for index, rule in enumerate(self.policy.rules):
            if rule.id in first:
                line = self._rule_line(first[rule.id])
                message = f"duplicate rule id (first defined on line {line})"
                self._issue(("rules", index), rule.id, message)
            first.setdefault(rule.id, index)

    def _check_redaction(self) -> None:
        for name, pattern in self.policy.redaction.patterns.items():
            where: Loc = ("redaction", "patterns", name)
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                self._issue(where, None, f"redaction pattern '{name}' is not a valid regex: {exc}")
                continue
            if compiled.fullmatch("") is not None:
                self._issue(where, None, f"redaction pattern '{name}' matches the empty string")

    # ---- issues ---------------------------------------------------------------------------

    def _rule_line(self, index: int) -> int | None:
        return self.lines.line_of(("rules", index))

    def _issue(self, loc: Loc, rule: str | None, message: str) -> None:
        self.issues.append(PolicyIssue(self.lines.line_of(loc), rule, message))

    def _fail(self, line: int | None, rule: str | None, message: str) -> NoReturn:
        raise PolicyError([PolicyIssue(line, rule, message)], source=self.source)

    def _validation_issue(self, error: ErrorDetails) -> PolicyIssue:
        loc: Loc = tuple(p for p in error["loc"] if not _is_type_tag(p))
        rule = None
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            rule = self.raw_ids.get(loc[1])
            field_path, context = loc[2:], ""
        elif len(loc) >= 2 and loc[0] == "roles":
            field_path, context = loc[2:], f"role '{loc[1]}': "
        else:
            field_path, context = loc, ""
        where = _dotted(field_path)
        if error["type"] == "extra_forbidden":
            message = f"unknown key '{field_path[-1] if field_path else where}'"
        elif error["type"] == "missing":
            message = f"missing key '{field_path[-1] if field_path else where}'"
        else:
            message = f"{where}: {error['msg']}" if where else str(error["msg"])
        return PolicyIssue(self.lines.line_of(loc), rule, context + message)


def _is_type_tag(part: str | int) -> bool:
    # Pydantic names the union member it tried inside `loc`; users never wrote those names.
    return isinstance(part, str) and (
        "[" in part or part in {"str", "list", "ExampleCall", "int", "float"}
    )


_TYPE_ERRORS = frozenset({"string_type", "list_type", "model_type", "dict_type"})


def _useful_errors(exc: ValidationError) -> list[ErrorDetails]:
    """Drop a union member's 'wrong type' complaint when another member explains more."""
    errors = exc.errors()
    explained = [tuple(e["loc"]) for e in errors if e["type"] not in _TYPE_ERRORS]
    kept = []
    for error in errors:
        loc = tuple(error["loc"])
        tags = [i for i, part in enumerate(loc) if _is_type_tag(part)]
        if tags and error["type"] in _TYPE_ERRORS:
            prefix = loc[: tags[-1]]
            if any(other[: len(prefix)] == prefix for other in explained):
                continue
        kept.append(error)
    return kept


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _raw_rule_ids(raw: dict[str, Any]) -> dict[int, str]:
    rules = raw.get("rules")
    if not isinstance(rules, list):
        return {}
    return {
        i: r["id"]
        for i, r in enumerate(rules)
        if isinstance(r, dict) and isinstance(r.get("id"), str)
    }
