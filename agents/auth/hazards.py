"""Floors the engine puts under a simple command whatever the rules say.

These are facts about bash and common programs, not preferences, so they live in code rather
than in the policy file: a rule can never lower a floor. Each floor is a (decision, reason) pair;
ALLOW never appears. They cover the bypass classes a prefix rule cannot see on its own: wrappers
(class 3), `VAR=x` prefixes (class 4), values bash computes at run time (classes 2 and 6) and
file names that a glob turns into options (class 5).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator

from agents.auth.requests import Decision

Floor = tuple[Decision, str]

#: Wrappers that run their command as another user, in another root or in new namespaces.
PRIVILEGE_WRAPPERS = (
    "sudo",
    "su",
    "doas",
    "pkexec",
    "runuser",
    "sg",
    "chroot",
    "nsenter",
    "unshare",
    "setpriv",
)

#: Wrappers that run their command unchanged (a floor of None); anything else is a concern.
WRAPPER_FLOORS: dict[str, Floor | None] = {
    **dict.fromkeys(
        ("timeout", "time", "nice", "ionice", "nohup", "stdbuf", "command", "builtin"), None
    ),
    **dict.fromkeys(
        ("env", "exec", "noglob", "nocorrect", "setsid", "taskset", "chrt", "caffeinate"), None
    ),
    # busybox is a multi-call binary: `busybox rm` is rm, and the analysis names it so.
    "busybox": None,
    **dict.fromkeys(
        PRIVILEGE_WRAPPERS,
        (Decision.DENY, "runs as another user or in another root (privilege change)"),
    ),
    **dict.fromkeys(
        ("xargs", "parallel", "watch", "flock", "script", "strace", "ltrace", "gdb"),
        (Decision.ASK, "its command takes arguments known only at run time"),
    ),
}
UNKNOWN_WRAPPER: Floor = (Decision.ASK, "an unrecognised wrapper runs this command")

#: Variables whose value is harmless to set for one command.
_SAFE_ENV = frozenset(
    [
        "CI",
        "NO_COLOR",
        "FORCE_COLOR",
        "TERM",
        "LANG",
        "LANGUAGE",
        "TZ",
        "COLUMNS",
        "LINES",
        "PYTHONPATH",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONUNBUFFERED",
        "PYTHONHASHSEED",
        "PYTHONWARNINGS",
        "PYTHONIOENCODING",
        "PYTHONUTF8",
        "PYTHONFAULTHANDLER",
        "RUST_BACKTRACE",
        "RUST_LOG",
        "NODE_ENV",
        "DEBUG",
        "VERBOSE",
    ]
)
#: Variables harmless only with these values (a pager of `cat` runs nothing).
_SAFE_ENV_VALUES: dict[str, frozenset[str]] = {
    name: frozenset({"", "cat"}) for name in ("PAGER", "GIT_PAGER", "MANPAGER", "SYSTEMD_PAGER")
}
#: Variables that load code, change what a name resolves to, or redirect git and ssh.
_CODE_ENV_GLOBS = (
    "LD_*",
    "DYLD_*",
    "BASH_ENV",
    "ENV",
    "PROMPT_COMMAND",
    "SHELLOPTS",
    "BASHOPTS",
    "PS4",
    "IFS",
    "PATH",
    "CDPATH",
    "HOME",
    "XDG_CONFIG_HOME",
    "GIT_*",
    "PYTHONHOME",
    "PYTHONSTARTUP",
    "PYTHONINSPECT",
    "NODE_OPTIONS",
    "NODE_PATH",
    "PERL5OPT",
    "PERL5LIB",
    "PERLLIB",
    "RUBYOPT",
    "RUBYLIB",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "LESSOPEN",
    "LESSCLOSE",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "MANPAGER",
    "*_PAGER",
    "SSH_ASKPASS",
    "SUDO_ASKPASS",
    "*_EDITOR",
    "HISTFILE",
)
_CODE_ENV = re.compile("|".join(fnmatch.translate(g) for g in _CODE_ENV_GLOBS))

#: Characters that make bash compute a token at run time: expansions and substitutions.
_DYNAMIC = re.compile(r"\$[\w{(@*#?$!'\"-]|`|<\(|>\(|\{[^}]*(,|\.\.)[^}]*\}|^~[^/]")
_GLOB = re.compile(r"[*?\[]")


def wrapper_floor(wrapper: str) -> Floor | None:
    """The floor a wrapper puts under the command it runs."""
    name = wrapper.rsplit("/", 1)[-1]
    return WRAPPER_FLOORS.get(name, UNKNOWN_WRAPPER)


def assignment_floor(assignment: str) -> Floor | None:
    """The floor a `NAME=value` prefix puts under its command (None when harmless)."""
    name, _, value = assignment.partition("=")
    if is_dynamic(value):
        return (Decision.ASK, f"'{name}' is set from a value computed at run time")
    if value in _SAFE_ENV_VALUES.get(name, frozenset()):
        return None
    if _CODE_ENV.match(name):
        return (Decision.DENY, f"setting '{name}' changes which code runs")
    if name in _SAFE_ENV or name.startswith("LC_"):
        return None
    return (Decision.ASK, f"setting '{name}' may change what the command does")


def is_dynamic(token: str) -> bool:
    """True when bash would expand `token` (variables, substitutions, braces, `~user`)."""
    return _DYNAMIC.search(token) is not None


def has_glob(token: str) -> bool:
    """True when `token` contains glob characters bash may expand into file names."""
    return _GLOB.search(token) is not None


def token_floors(tokens: tuple[str, ...]) -> Iterator[Floor]:
    """Floors from the argv itself: a program run by path, or a word computed at run time."""
    if tokens and is_dynamic(tokens[0]):
        yield (Decision.ASK, "the program name is computed at run time")
    elif tokens and "/" in tokens[0]:
        # Rules name programs; a path may be a look-alike (`/tmp/cat`) the agent wrote itself.
        yield (Decision.ASK, f"runs '{tokens[0]}' by path, which no rule names")
    if any(is_dynamic(t) for t in tokens[1:]):
        yield (Decision.ASK, "an argument is computed at run time")


#: `dangerous` reasons from the shell analysis that only need a human's look rather than a
#: refusal; matched as substrings. Everything else the analysis calls dangerous is denied.
_ASK_DANGEROUS = ("unknown", "unrecognised", "unrecognized")


def dangerous_floor(reason: str) -> Floor:
    """The floor for a reason the shell analysis gave for `dangerous` (never allow)."""
    lowered = reason.lower()
    if any(word in lowered for word in _ASK_DANGEROUS):
        return (Decision.ASK, reason)
    return (Decision.DENY, reason)
