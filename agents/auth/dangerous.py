"""Dangerous options of otherwise safe tools, and environment assignments that change programs.

One table, `TOOLS`, keyed by program name: a rule for `find` does not have to know about `git`.
A `Finding` marked dangerous is something no allow rule should cover (`find -exec`, `rg --pre`,
`curl -T`); the others are concerns that mean "ask a human" (`make`, `npx`, `nc`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from agents.auth.argv import Syntax, operands, scan
from agents.auth.dangerous_git import git_findings
from agents.auth.script_scan import awk_findings, sed_findings
from agents.auth.tool_rules import Finding, OptionRule, ToolRules, names

#: Variables that change which program runs or what it loads, as a prefix or an export.
RISKY_VARIABLES = frozenset(
    {
        "PATH",
        "LD_PRELOAD",
        "LD_LIBRARY_PATH",
        "LD_AUDIT",
        "PYTHONPATH",
        "PYTHONSTARTUP",
        "PYTHONHOME",
        "PERL5LIB",
        "PERL5OPT",
        "PERLLIB",
        "RUBYOPT",
        "RUBYLIB",
        "NODE_OPTIONS",
        "NODE_PATH",
        "BASH_ENV",
        "ENV",
        "IFS",
        "PROMPT_COMMAND",
        "SHELLOPTS",
        "BASHOPTS",
        "PS4",
        "HOME",
        "XDG_CONFIG_HOME",
        "ZDOTDIR",
        "PAGER",
        "MANPAGER",
        "EDITOR",
        "VISUAL",
        "BROWSER",
        "LESSOPEN",
        "LESSCLOSE",
        "SSH_ASKPASS",
        "SUDO_ASKPASS",
        "RUSTC_WRAPPER",
    }
)
RISKY_PREFIXES = ("GIT_", "LD_", "DYLD_", "BASH_FUNC_", "NPM_CONFIG_")
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\+?=")
_EXPORTERS = frozenset({"export", "declare", "typeset", "local", "readonly"})
_LESS_PREPROCESSORS = frozenset({"LESSOPEN", "LESSCLOSE"})

_PROXY_COMMAND = re.compile(
    r"(?i)\s*(proxycommand|localcommand|permitlocalcommand|knownhostscommand)"
)
_CURL_FILE_DATA = re.compile(r"^@")
_VIM_SAFE_PLUS = re.compile(r"\+(\d*|/.*)")
_SOCAT_EXEC = re.compile(r"(?i)(^|[,!])\s*(exec|system):")
_PACKAGE_SCRIPTS = Finding("runs package scripts", dangerous=False)
_RUNS_PACKAGE = Finding("runs a downloaded package", dangerous=False)
_NETWORK_TOOL = Finding("raw network tool", dangerous=False)


def _plus_commands(pattern: re.Pattern[str], reason: str) -> ToolRules:
    """Rules for pagers and editors whose `+CMD` arguments run commands."""

    def check(args: Sequence[str]) -> list[Finding]:
        hits = [a for a in args if a.startswith("+") and pattern.search(a)]
        return [Finding(reason)] if hits else []

    return ToolRules(check=check)


def _ssh_remote(args: Sequence[str]) -> list[Finding]:
    ops = operands(scan(args, _SSH))
    return [Finding("ssh runs a remote command", dangerous=False)] if len(ops) > 1 else []


def _tar_old_style(args: Sequence[str]) -> list[Finding]:
    # `tar xIf ...`: a first word without a dash is a bundle of single-letter options.
    if args and not args[0].startswith("-") and set(args[0]) & {"I", "F"}:
        return [Finding("tar option runs a command")]
    return []


def _alias(args: Sequence[str]) -> list[Finding]:
    # An alias defined here takes effect in later lines once expand_aliases is on.
    defines = any("=" in a for a in args)
    return [Finding("alias can shadow any command", dangerous=False)] if defines else []


def _socat(args: Sequence[str]) -> list[Finding]:
    return (
        [Finding("socat EXEC/SYSTEM runs a program")]
        if any(_SOCAT_EXEC.search(a) for a in args)
        else []
    )


_SSH = Syntax(short_values="bcDEeFIiJLlmOopQRSWwB")
_SSH_PROXY = OptionRule(
    names=names("-o"), reason="ssh -o runs a local command", value=_PROXY_COMMAND
)
_PAGER = _plus_commands(re.compile(r"[!|]"), "less + command runs a shell")
_VIM_OPTIONS = (
    OptionRule(names=names("-c", "--cmd"), reason="vim -c runs editor commands"),
    OptionRule(names=names("-S"), reason="vim -S sources a script"),
)


def _vim_check(args: Sequence[str]) -> list[Finding]:
    plus = [a for a in args if a.startswith("+") and not _VIM_SAFE_PLUS.fullmatch(a)]
    return [Finding("vim +cmd runs an editor command")] if plus else []


_VIM = ToolRules(
    syntax=Syntax(short_values="cSwWsuUTirqt", long_values=names("--cmd")),
    options=_VIM_OPTIONS,
    check=_vim_check,
)
_NC = ToolRules(
    syntax=Syntax(short_values="ecpsqwiIOTxXm"),
    options=(
        OptionRule(
            names=names("-e", "-c", "--exec", "--sh-exec", "--lua-exec"),
            reason="nc -e runs a program",
        ),
    ),
    always=_NETWORK_TOOL,
)
_NPM = ToolRules(
    subcommands=dict.fromkeys(
        ("run", "run-script", "exec", "x", "dlx", "start", "test", "restart"), _PACKAGE_SCRIPTS
    )
)
_PIP = ToolRules(
    subcommands=dict.fromkeys(
        ("install", "download", "wheel"), Finding("pip install runs package build code", False)
    )
)

#: Per-program rules. Aliases share an entry.
TOOLS: Mapping[str, ToolRules] = {
    "find": ToolRules(
        syntax=Syntax(single_dash_long=True),
        options=(
            OptionRule(
                names=names("-exec", "-execdir", "-ok", "-okdir"), reason="find -exec runs commands"
            ),
            OptionRule(names=names("-delete"), reason="find -delete removes files"),
            OptionRule(
                names=names("-fprint", "-fprint0", "-fprintf", "-fls"), reason="find -fprint writes"
            ),
        ),
    ),
    "git": ToolRules(check=git_findings),
    "rg": ToolRules(
        syntax=Syntax(short_values="efgtTmABCjMrE", long_values=names("--pre", "--pre-glob")),
        options=(
            OptionRule(names=names("--pre", "--pre-glob"), reason="rg --pre runs a preprocessor"),
        ),
    ),
    "fd": ToolRules(
        syntax=Syntax(short_values="teEdSjco"),
        options=(
            OptionRule(
                names=names("-x", "--exec", "-X", "--exec-batch"), reason="fd --exec runs commands"
            ),
        ),
    ),
    "sed": ToolRules(check=sed_findings),
    "gsed": ToolRules(check=sed_findings),
    **dict.fromkeys(("awk", "gawk", "mawk", "nawk"), ToolRules(check=awk_findings)),
    "tar": ToolRules(
        syntax=Syntax(short_values="fCTXbgHKLNVIF"),
        options=(
            OptionRule(
                names=names("--to-command", "--checkpoint-action", "-I", "--use-compress-program")
                | names("--rsh-command", "--rmt-command", "-F", "--info-script")
                | names("--new-volume-script"),
                reason="tar option runs a command",
            ),
        ),
        check=_tar_old_style,
    ),
    "rsync": ToolRules(
        syntax=Syntax(short_values="eBfTM", long_values=names("--rsh", "--rsync-path")),
        options=(
            OptionRule(
                names=names("-e", "--rsh", "--rsync-path"), reason="rsync -e runs a command"
            ),
        ),
    ),
    "zip": ToolRules(
        syntax=Syntax(single_dash_long=True),
        options=(
            OptionRule(names=names("-TT", "--unzip-command"), reason="zip -TT runs a command"),
        ),
    ),
    "less": _PAGER,
    "more": _PAGER,
    **dict.fromkeys(("vim", "vi", "nvim", "view", "vimdiff", "gvim", "ex"), _VIM),
    "man": ToolRules(
        syntax=Syntax(short_values="PMpLmSsCREe", short_optional="H"),
        options=(
            OptionRule(
                names=names("-P", "--pager", "-H", "--html"), reason="man pager runs a command"
            ),
        ),
    ),
    "go": ToolRules(
        syntax=Syntax(single_dash_long=True),
        options=(
            OptionRule(
                names=names("-exec", "--exec", "-toolexec", "--toolexec", "-vettool", "--vettool"),
                reason="go -exec runs a command",
            ),
        ),
        subcommands={
            "run": Finding("go run compiles and runs code", dangerous=False),
            "generate": Finding("go generate runs commands", dangerous=False),
        },
    ),
    **dict.fromkeys(("npm", "pnpm", "yarn", "bun"), _NPM),
    **dict.fromkeys(("npx", "pnpx", "bunx", "uvx", "pipx"), ToolRules(always=_RUNS_PACKAGE)),
    **dict.fromkeys(("make", "gmake"), ToolRules(always=Finding("make runs recipes", False))),
    "just": ToolRules(always=Finding("just runs recipes", dangerous=False)),
    "pip": _PIP,
    "pip3": _PIP,
    "ssh": ToolRules(syntax=_SSH, options=(_SSH_PROXY,), check=_ssh_remote),
    **dict.fromkeys(
        ("scp", "sftp"),
        ToolRules(
            syntax=Syntax(short_values="cFiJloPSXBD"),
            options=(_SSH_PROXY, OptionRule(names=names("-S"), reason="scp -S runs a program")),
        ),
    ),
    "curl": ToolRules(
        syntax=Syntax(
            short_values="AbcCdDeEFHKmoPQrTuUwxXYyzt",
            long_values=names("--data", "--data-binary", "--data-ascii", "--data-raw", "--json")
            | names("--data-urlencode", "--form", "--upload-file", "--output", "--config"),
        ),
        options=(
            OptionRule(
                names=names("-d", "--data", "--data-binary", "--data-ascii", "--json"),
                reason="curl uploads a file",
                value=_CURL_FILE_DATA,
            ),
            OptionRule(
                names=names("--data-urlencode"), reason="curl uploads a file", value=re.compile("@")
            ),
            OptionRule(
                names=names("-F", "--form"),
                reason="curl uploads a file",
                value=re.compile(r"=\s*[@<]"),
            ),
            OptionRule(names=names("-T", "--upload-file"), reason="curl uploads a file"),
            OptionRule(
                names=names("-K", "--config"), reason="curl reads a config file", dangerous=False
            ),
        ),
    ),
    "wget": ToolRules(
        syntax=Syntax(short_values="eoaOPiBTtwQUlADIRX"),
        options=(
            OptionRule(names=names("--post-file", "--body-file"), reason="wget uploads a file"),
            OptionRule(names=names("--use-askpass"), reason="wget --use-askpass runs a command"),
            OptionRule(
                names=names("-e", "--execute"),
                reason="wget -e runs wgetrc commands",
                dangerous=False,
            ),
        ),
    ),
    **dict.fromkeys(("nc", "ncat", "netcat"), _NC),
    "socat": ToolRules(always=_NETWORK_TOOL, check=_socat),
    "telnet": ToolRules(always=_NETWORK_TOOL),
    "hash": ToolRules(
        syntax=Syntax(short_values="p"),
        options=(OptionRule(names=names("-p"), reason="hash -p rebinds a command name"),),
    ),
    "enable": ToolRules(
        syntax=Syntax(short_values="f"),
        options=(OptionRule(names=names("-f"), reason="enable -f loads a builtin from a library"),),
    ),
    "alias": ToolRules(check=_alias),
    "parallel": ToolRules(always=Finding("parallel runs commands", dangerous=False)),
    **dict.fromkeys(
        ("crontab", "at", "batch"), ToolRules(always=Finding("schedules commands", False))
    ),
}


def inspect(program: str, argv: Sequence[str], assignments: Sequence[str]) -> list[Finding]:
    """Every finding for one command: its tool rules and the variables it is run with."""
    findings = _tool_findings(program, argv[1:])
    exported = [a for a in argv[1:] if program in _EXPORTERS and _ASSIGNMENT.match(a)]
    for assignment in (*assignments, *exported):
        name = variable_name(assignment)
        if name in _LESS_PREPROCESSORS and program in ("less", "more"):
            findings.append(Finding(f"{name} runs a preprocessor"))
        elif is_risky_variable(name):
            findings.append(Finding(f"sets {name}", dangerous=False))
    return list(dict.fromkeys(findings))


def _tool_findings(program: str, args: Sequence[str]) -> list[Finding]:
    rules = TOOLS.get(program)
    if rules is None:
        return []
    opts = scan(args, rules.syntax)
    findings = [rules.always] if rules.always else []
    for rule in rules.options:
        if any(_fires(rule, o.name, o.value) for o in opts if o.name):
            findings.append(Finding(rule.reason, rule.dangerous))
    first = next(iter(operands(opts)), None)
    if first is not None and first in rules.subcommands:
        findings.append(rules.subcommands[first])
    if rules.check is not None:
        findings.extend(rules.check(args))
    return findings


def _fires(rule: OptionRule, name: str, value: str | None) -> bool:
    if name not in rule.names:
        return False
    return rule.value is None or (value is not None and bool(rule.value.search(value)))


def variable_name(assignment: str) -> str:
    """`NAME` of a `NAME=value` or `NAME+=value` word ("" when it is not an assignment)."""
    match = _ASSIGNMENT.match(assignment)
    return match.group(1) if match else ""


def is_risky_variable(name: str) -> bool:
    """Whether assigning `name` can change which program runs or what it loads."""
    return name in RISKY_VARIABLES or name.startswith(RISKY_PREFIXES)
