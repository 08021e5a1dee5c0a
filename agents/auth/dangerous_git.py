"""git options and subcommands that run other programs or rewrite configuration.

`git` looks like a safe prefix, but `-c core.pager=...`, `--output`, `rebase --exec` and friends
run commands or write files of the caller's choosing (Trail of Bits, 2025).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from agents.auth.tool_rules import Finding, OptionRule, names

#: Global options that take the next word as their value when not written `--opt=value`.
_GLOBAL_VALUES = names("-C", "-c", "--git-dir", "--work-tree", "--namespace", "--super-prefix")
_GLOBAL_VALUES |= names("--list-cmds", "--attr-source", "--config-env")
#: Configuration keys (lower case) and key prefixes whose value is a command git runs.
_COMMAND_KEYS = frozenset(
    {
        "core.pager",
        "core.editor",
        "core.sshcommand",
        "core.fsmonitor",
        "core.hookspath",
        "core.gitproxy",
        "core.askpass",
        "diff.external",
        "credential.helper",
        "sequence.editor",
        "gpg.program",
        "uploadpack.packobjectshook",
    }
)
_COMMAND_KEY_PREFIXES = ("alias.", "pager.", "filter.", "diff.", "merge.", "credential.", "gpg.")

_OUTPUT = OptionRule(names=names("--output", "-o"), reason="git --output writes a file")
_UPLOAD_PACK = OptionRule(names=names("--upload-pack"), reason="git --upload-pack runs a command")
_TEMPLATE = OptionRule(names=names("--template"), reason="git --template installs hooks")
_ANY_SUBCOMMAND = (
    OptionRule(names=names("--ext-diff"), reason="git --ext-diff runs an external diff command"),
    OptionRule(names=names("--textconv"), reason="git --textconv runs conversion filters"),
)
_SUBCOMMAND_RULES: Mapping[str, tuple[OptionRule, ...]] = {
    "diff": (_OUTPUT,),
    "log": (_OUTPUT,),
    "show": (_OUTPUT,),
    "format-patch": (
        OptionRule(
            names=names("--output", "-o", "--output-directory"), reason="git --output writes a file"
        ),
    ),
    "rebase": (OptionRule(names=names("--exec", "-x"), reason="git rebase --exec runs commands"),),
    "grep": (
        OptionRule(names=names("-O", "--open-files-in-pager"), reason="git grep -O runs a pager"),
    ),
    "clone": (
        _UPLOAD_PACK,
        OptionRule(names=names("-u"), reason="git --upload-pack runs a command"),
        _TEMPLATE,
        OptionRule(names=names("-c", "--config"), reason="git clone -c writes configuration"),
    ),
    "init": (_TEMPLATE,),
    "fetch": (_UPLOAD_PACK,),
    "pull": (_UPLOAD_PACK,),
    "ls-remote": (_UPLOAD_PACK,),
    "push": (
        OptionRule(
            names=names("--receive-pack", "--exec"), reason="git --receive-pack runs a command"
        ),
    ),
    "archive": (OptionRule(names=names("--exec"), reason="git archive --exec runs a command"),),
}
_SUBCOMMAND_FINDINGS: Mapping[str, Finding] = {
    "filter-branch": Finding("git filter-branch runs shell filters"),
    "difftool": Finding("git difftool runs an external tool", dangerous=False),
    "mergetool": Finding("git mergetool runs an external tool", dangerous=False),
}
#: Subcommands whose given word starts running arbitrary commands: `submodule foreach`.
_RUNNER_WORDS = {"submodule": ("foreach", "git submodule foreach runs commands")}
_RUNNER_FIRST = {"bisect": ("run", "git bisect run runs a command")}
_CONFIG_READS = names("--get", "--get-all", "--get-regexp", "--get-urlmatch", "--get-color")
_CONFIG_READS |= names("--get-colorbool", "--list", "-l")


def git_findings(args: Sequence[str]) -> list[Finding]:
    """Findings for `git ARGS` (the program name already removed)."""
    findings: list[Finding] = []
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "--":
        name, eq, value = args[i].partition("=")
        if name in _GLOBAL_VALUES and not eq:
            value = args[i + 1] if i + 1 < len(args) else ""
            i += 1
        i += 1
        if name == "-c":
            findings.append(_config_finding(value))
        elif name == "--config-env":
            findings.append(Finding("git --config-env sets configuration from the environment"))
        elif name == "--exec-path" and eq:
            findings.append(Finding("git --exec-path runs helpers from another directory"))
    if i < len(args):
        findings.extend(_subcommand(args[i], list(args[i + 1 :])))
    return list(dict.fromkeys(findings))


def _config_finding(assignment: str) -> Finding:
    key = assignment.partition("=")[0].lower()
    if key in _COMMAND_KEYS or key.startswith(_COMMAND_KEY_PREFIXES):
        return Finding(f"git -c {key} runs a command")
    return Finding("git -c overrides configuration")


def _subcommand(sub: str, rest: list[str]) -> list[Finding]:
    options = rest[: rest.index("--")] if "--" in rest else rest
    findings = [
        Finding(rule.reason, rule.dangerous)
        for rule in _ANY_SUBCOMMAND + _SUBCOMMAND_RULES.get(sub, ())
        if any(_matches(arg, name) for arg in options for name in rule.names)
    ]
    if sub in _SUBCOMMAND_FINDINGS:
        findings.append(_SUBCOMMAND_FINDINGS[sub])
    if sub in _RUNNER_WORDS and _RUNNER_WORDS[sub][0] in options:
        findings.append(Finding(_RUNNER_WORDS[sub][1]))
    if sub in _RUNNER_FIRST and rest[:1] == [_RUNNER_FIRST[sub][0]]:
        findings.append(Finding(_RUNNER_FIRST[sub][1]))
    if sub == "config" and not _config_reads(options):
        findings.append(Finding("git config writes configuration"))
    return findings


def _matches(arg: str, name: str) -> bool:
    """`--output` matches `--output` and `--output=x`; `-o` also matches an attached `-ox`."""
    if name.startswith("--"):
        return arg == name or arg.startswith(name + "=")
    return arg.startswith(name) and not arg.startswith("--")


def _config_reads(options: Sequence[str]) -> bool:
    """Whether a `git config` invocation only reads (anything else may write)."""
    first_operand = next((arg for arg in options if not arg.startswith("-")), "")
    return any(arg in _CONFIG_READS for arg in options) or first_operand in ("get", "list")
