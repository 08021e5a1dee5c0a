"""Wrappers: programs that run another program (`sudo`, `env`, `timeout`, `xargs` ...).

A policy rule for `rm` must see `sudo env X=1 timeout 5 nice rm -rf /` as `rm`, so each known
wrapper is peeled off by reading its options from a table. A wrapper option we do not know
could hide which word is the command, so it becomes a concern rather than a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from agents.auth.argv import Opt, Syntax, scan
from agents.auth.shell_words import Word, normalise_program

_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")
PRIVILEGE = "privilege change"


@dataclass(frozen=True, slots=True, kw_only=True)
class WrapperSpec:
    """How one wrapper spells its options and where its command starts.

    `positionals` are operands before the command (timeout's DURATION, flock's LOCKFILE).
    `no_command` options mean nothing is run (`command -v`), so the wrapper stays the program.
    `shell_options` take a string that is run as shell code (`env -S`, `flock -c`).
    `shell_operands` joins the command words into one shell string (`watch`), unless one of
    `argv_options` (`watch -x`) says they are an argv after all.
    """

    short_values: str = ""
    short_optional: str = ""
    long_values: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    positionals: int = 0
    concern: str | None = None
    env_assignments: bool = False
    no_command: frozenset[str] = frozenset()
    shell_options: frozenset[str] = frozenset()
    option_concerns: Mapping[str, str] = field(default_factory=dict)
    numeric_flags: bool = False
    shell_operands: bool = False
    argv_options: frozenset[str] = frozenset()

    def knows(self, name: str) -> bool:
        """Whether `name` is an option of this wrapper (anything else is a concern)."""
        if self.numeric_flags and name[1:].isdigit():
            return True  # `nice -10`
        if not name.startswith("--") and name[1:] in self.short_values + self.short_optional:
            return True
        special = self.no_command | self.shell_options | self.argv_options
        return (
            name in self.long_values
            or name in self.flags
            or name in special
            or (name in self.option_concerns)
        )


def _f(*names: str) -> frozenset[str]:
    return frozenset(names)


_CHDIR = "runs the command in another directory"
_SUDO_NO_COMMAND = _f("-l", "--list", "-v", "--validate", "-K", "--remove-timestamp", "-e")
_SUDO_FLAGS = _f("-A", "-b", "-B", "-E", "-H", "-i", "-k", "-n", "-P", "-S", "-s", "-N")

#: Every wrapper we unwrap. Anything else is simply the program (and unknown programs ask).
WRAPPERS: Mapping[str, WrapperSpec] = {
    "env": WrapperSpec(
        short_values="uCSP",
        long_values=_f("--unset", "--chdir", "--split-string"),
        flags=_f("-i", "-0", "-v", "--ignore-environment", "--null", "--debug")
        | _f("--block-signal", "--default-signal", "--ignore-signal", "--list-signal-handling"),
        env_assignments=True,
        shell_options=_f("-S", "--split-string"),
        option_concerns={"-C": _CHDIR, "--chdir": _CHDIR, "-P": "env -P searches another PATH"},
    ),
    "sudo": WrapperSpec(
        short_values="ugUCDhprtTR",
        long_values=_f("--user", "--group", "--other-user", "--close-from", "--chdir", "--host")
        | _f("--prompt", "--role", "--type", "--command-timeout", "--chroot"),
        flags=_SUDO_FLAGS | _f("--preserve-env", "--login", "--shell", "--non-interactive"),
        concern=PRIVILEGE,
        env_assignments=True,
        no_command=_SUDO_NO_COMMAND | _f("--edit", "-V", "--version", "--help"),
        option_concerns={"-D": _CHDIR, "--chdir": _CHDIR, "-R": "sudo -R changes root"},
    ),
    "doas": WrapperSpec(
        short_values="uC", flags=_f("-n", "-s", "-L"), concern=PRIVILEGE, no_command=_f("-C")
    ),
    "pkexec": WrapperSpec(
        long_values=_f("--user"),
        flags=_f("--disable-internal-agent", "--keep-cwd"),
        concern=PRIVILEGE,
    ),
    "timeout": WrapperSpec(
        short_values="sk",
        long_values=_f("--signal", "--kill-after"),
        flags=_f("--preserve-status", "--foreground", "-v", "--verbose", "-f", "-p"),
        positionals=1,
    ),
    "nice": WrapperSpec(short_values="n", long_values=_f("--adjustment"), numeric_flags=True),
    "ionice": WrapperSpec(
        short_values="cnpPu",
        long_values=_f("--class", "--classdata", "--pid", "--pgid", "--uid"),
        flags=_f("-t", "--ignore"),
        no_command=_f("-p", "--pid", "-P", "--pgid", "-u", "--uid"),
    ),
    "nohup": WrapperSpec(),
    "stdbuf": WrapperSpec(short_values="ioe", long_values=_f("--input", "--output", "--error")),
    "time": WrapperSpec(
        short_values="fo",
        long_values=_f("--format", "--output"),
        flags=_f("-p", "-a", "-v", "-q", "--portability", "--append", "--verbose", "--quiet"),
    ),
    "command": WrapperSpec(flags=_f("-p"), no_command=_f("-v", "-V")),
    "builtin": WrapperSpec(),
    "exec": WrapperSpec(short_values="a", flags=_f("-c", "-l")),
    "noglob": WrapperSpec(),
    "nocorrect": WrapperSpec(),
    "busybox": WrapperSpec(),
    "xargs": WrapperSpec(
        short_values="adEILnPs",
        short_optional="eil",
        long_values=_f("--arg-file", "--delimiter", "--max-lines", "--max-args", "--max-procs")
        | _f("--max-chars", "--process-slot-var", "--eof", "--replace"),
        flags=_f("-0", "-p", "-r", "-t", "-x", "-e", "-i", "-l", "--null", "--interactive")
        | _f("--no-run-if-empty", "--verbose", "--exit", "--open-tty", "--show-limits"),
        concern="xargs runs a command built from its input",
    ),
    "chroot": WrapperSpec(
        long_values=_f("--userspec", "--groups"),
        flags=_f("--skip-chdir"),
        positionals=1,
        concern="chroot changes the root directory",
    ),
    "unshare": WrapperSpec(
        short_values="RwSGl",
        long_values=_f("--root", "--wd", "--setuid", "--setgid", "--load-interp"),
        flags=_f("-m", "-u", "-i", "-n", "-p", "-U", "-C", "-T", "-f", "-r", "-c", "--fork")
        | _f("--mount", "--uts", "--ipc", "--net", "--pid", "--user", "--cgroup", "--time")
        | _f("--map-root-user", "--map-current-user", "--kill-child", "--mount-proc"),
        concern="unshare runs the command in new namespaces",
    ),
    "setsid": WrapperSpec(flags=_f("-c", "-f", "-w", "--ctty", "--fork", "--wait")),
    "flock": WrapperSpec(
        short_values="wE",
        long_values=_f("--timeout", "--wait", "--conflict-exit-code"),
        flags=_f("-s", "-x", "-e", "-n", "-u", "-o", "-F", "--shared", "--exclusive")
        | _f("--unlock", "--nonblock", "--nb", "--close", "--no-fork", "--verbose"),
        positionals=1,
        shell_options=_f("-c", "--command"),
    ),
    "watch": WrapperSpec(
        short_values="nq",
        short_optional="d",
        long_values=_f("--interval", "--equexit", "--differences"),
        flags=_f("-b", "-e", "-g", "-c", "-t", "-p", "-w", "-C", "--beep", "--errexit")
        | _f("--chgexit", "--color", "--no-title", "--precise", "--no-wrap", "--no-color"),
        shell_operands=True,
        argv_options=_f("-x", "--exec"),
    ),
    "strace": WrapperSpec(
        short_values="oepPsuEabIOSXU",
        flags=_f("-f", "-F", "-c", "-C", "-d", "-D", "-i", "-k", "-n", "-q", "-r", "-t", "-T")
        | _f("-v", "-x", "-y", "-Y", "-z", "-Z", "-w", "-V", "-h"),
        no_command=_f("-p"),
    ),
    "ltrace": WrapperSpec(
        short_values="oepsuaAbDFlnxLw",
        flags=_f("-f", "-c", "-C", "-d", "-i", "-r", "-S", "-t", "-T", "-h", "-V"),
        no_command=_f("-p"),
    ),
    "taskset": WrapperSpec(
        flags=_f("-a", "-c", "--all-tasks", "--cpu-list"),
        positionals=1,
        no_command=_f("-p", "--pid"),
    ),
    "chrt": WrapperSpec(
        short_values="TPD",
        long_values=_f("--sched-runtime", "--sched-period", "--sched-deadline"),
        flags=_f("-a", "-b", "-d", "-f", "-i", "-o", "-r", "-R", "-v", "-e", "--all-tasks")
        | _f("--batch", "--deadline", "--fifo", "--idle", "--other", "--rr", "--verbose"),
        positionals=1,
        no_command=_f("-p", "--pid", "-m", "--max"),
    ),
    "caffeinate": WrapperSpec(short_values="wt", flags=_f("-d", "-i", "-m", "-s", "-u")),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Unwrapped:
    """The command left after peeling wrappers, and what peeling them taught us."""

    words: tuple[Word, ...]
    wrappers: tuple[str, ...]
    assignments: tuple[str, ...]
    concerns: tuple[str, ...]
    shell_code: tuple[str, ...]


@dataclass(kw_only=True)
class _Peel:
    concerns: list[str] = field(default_factory=list)
    assignments: list[str] = field(default_factory=list)
    shell_code: list[str] = field(default_factory=list)
    command_at: int | None = None


def unwrap(words: Sequence[Word]) -> Unwrapped:
    """Peel every known wrapper off `words`, outermost first."""
    rest = tuple(words)
    wrappers: list[str] = []
    assignments: list[str] = []
    concerns: list[str] = []
    shell_code: list[str] = []
    while rest and rest[0].literal:
        name = normalise_program(rest[0].text)
        spec = WRAPPERS.get(name)
        if spec is None:
            break
        if rest[0].decoded:
            concerns.append("obfuscated program name ($'...' quoting)")
        peel = _peel(name, spec, [w.text for w in rest[1:]])
        concerns.extend(peel.concerns)
        assignments.extend(peel.assignments)
        shell_code.extend(peel.shell_code)
        if peel.command_at is None:
            break
        wrappers.append(name)
        rest = rest[1 + peel.command_at :]
    return Unwrapped(
        words=rest,
        wrappers=tuple(wrappers),
        assignments=tuple(assignments),
        concerns=tuple(concerns),
        shell_code=tuple(shell_code),
    )


def _peel(name: str, spec: WrapperSpec, args: list[str]) -> _Peel:
    syntax = Syntax(
        short_values=spec.short_values,
        short_optional=spec.short_optional,
        long_values=spec.long_values,
        stop_at_operand=True,
    )
    opts = scan(args, syntax)
    peel = _Peel(concerns=[spec.concern] if spec.concern else [])
    runs_argv = any(o.name in spec.argv_options for o in opts)
    skipped = 0
    for opt in opts:
        if opt.name:
            if not _option(name, spec, opt, peel=peel):
                return peel
            continue
        operand = opt.value or ""
        if spec.env_assignments and _ASSIGNMENT.match(operand):
            peel.assignments.append(operand)
            continue
        if skipped < spec.positionals:
            skipped += 1
            continue
        if operand in spec.shell_options:
            # `flock LOCKFILE -c STRING`: the shell option may follow the positionals.
            peel.shell_code.append(args[opt.index + 1] if opt.index + 1 < len(args) else "")
            peel.concerns.append(f"{name} {operand} runs a string as shell code")
            return peel
        if spec.shell_operands and not runs_argv:
            peel.shell_code.append(" ".join(args[opt.index :]))
            peel.concerns.append(f"{name} runs its arguments as shell code")
            return peel
        peel.command_at = opt.index
        return peel
    return peel


def _option(name: str, spec: WrapperSpec, opt: Opt, *, peel: _Peel) -> bool:
    """Record one wrapper option; False when it means the wrapper runs no command of its own."""
    if opt.name in spec.no_command:
        return False
    if opt.name in spec.shell_options:
        peel.shell_code.append(opt.value or "")
        peel.concerns.append(f"{name} {opt.name} runs a string as shell code")
        return False
    if opt.name in spec.option_concerns:
        peel.concerns.append(spec.option_concerns[opt.name])
    elif not spec.knows(opt.name):
        peel.concerns.append(f"unknown {name} option {opt.name}")
    return True
