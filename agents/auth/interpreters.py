"""Programs that run code given as a string: shells, `eval`, `python -c`, `perl -e` ...

Such code cannot be judged from the outer command line, so each case is a concern. When the
code is shell code we can read (`bash -c STRING`, `eval WORDS`, `su -c STRING`), it is also
returned so the analyser parses it and a denied command inside is still seen.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from agents.auth.wrappers import PRIVILEGE

#: Programs whose stdin or `-c` argument is shell code.
SHELLS = frozenset({"sh", "bash", "rbash", "zsh", "dash", "ksh", "mksh", "ash", "yash", "fish"})

_PYTHON = re.compile(r"(python|pypy)[0-9.]*")
_STDIN = "{} reads its program from stdin"
_HARMLESS = frozenset({"--version", "-v", "-V", "--help", "-h"})
#: Script operands that are the program's own stdin.
STDIN_FILES = frozenset({"-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"})


@dataclass(frozen=True, slots=True)
class CodeFindings:
    """Concerns about code run from strings, and the shell code to analyse recursively.

    `code_at` are the indices (in the arguments) of the words run as code: inline code or the
    script file; `reads_stdin` says the program's code comes from its stdin. Both let the
    analysis see code that arrives from the network (`curl … | sh`, `bash -c "$(curl …)"`).
    """

    concerns: tuple[str, ...] = ()
    shell_code: tuple[str, ...] = ()
    code_at: tuple[int, ...] = ()
    reads_stdin: bool = False


#: Inline-code options of other interpreters, matched against every argument (conservatively:
#: an interpreted script's own `-e` option is reported too).
_INLINE: Mapping[str, re.Pattern[str]] = {
    "perl": re.compile(r"-[alnpsStTuUwWxX0-9]*[eE]$"),
    "ruby": re.compile(r"-[acdlnpsvwWy0-9]*e$"),
    "node": re.compile(r"(-e|--eval|-p|--print|-pe|-ep)(=.*)?$"),
    "nodejs": re.compile(r"(-e|--eval|-p|--print|-pe|-ep)(=.*)?$"),
    "bun": re.compile(r"(-e|--eval|-p|--print)(=.*)?$"),
    "deno": re.compile(r"eval$"),
    "php": re.compile(r"-[rBRE]$"),
    "lua": re.compile(r"-e"),
    "luajit": re.compile(r"-e"),
    "osascript": re.compile(r"-e$"),
    "Rscript": re.compile(r"-e$"),
    "julia": re.compile(r"(-e|-E|--eval|--print)(=.*)?$"),
    "pwsh": re.compile(r".*"),
    "powershell": re.compile(r".*"),
    "tclsh": re.compile(r"$.^"),
}


def interpreter_kind(program: str) -> str | None:
    """Whether `program` reads code: "shell", "interpreter" or None."""
    if program in SHELLS:
        return "shell"
    if program in _INLINE or _PYTHON.fullmatch(program):
        return "interpreter"
    return None


def inspect(program: str, args: Sequence[str]) -> CodeFindings:
    """What running `program args` executes from strings (nothing for ordinary programs)."""
    handler = _HANDLERS.get(program)
    if handler is not None:
        return handler(program, args)
    if _PYTHON.fullmatch(program):
        return _python(program, args)
    if program in _INLINE:
        return _inline(program, args)
    return CodeFindings()


def _shell(program: str, args: Sequence[str]) -> CodeFindings:
    inline = reads_stdin = False
    code: list[str] = []
    i = 0
    while i < len(args) and args[i][:1] in ("-", "+") and args[i] not in ("-", "--"):
        arg = args[i]
        i += 1
        name, eq, value = arg.partition("=")
        if name in ("--command", "--init-command") or (program == "fish" and arg == "-C"):
            code.append(value if eq else (args[i] if i < len(args) else ""))
            i += 0 if eq else 1
        elif name in ("--rcfile", "--init-file"):
            i += 0 if eq else 1
        elif not arg.startswith("--"):
            inline = inline or "c" in arg[1:]
            reads_stdin = reads_stdin or "s" in arg[1:]
            i += sum(1 for letter in arg[1:] if letter in "oO")
    if i < len(args) and args[i] in ("-", "--"):
        i += 1
    operands = args[i:]
    concerns: list[str] = []
    if code:
        concerns.append(f"{program} --command runs inline shell code")
    if inline and operands:
        code.append(operands[0])
        concerns.append(f"{program} -c runs inline shell code")
    elif inline:
        concerns.append(f"{program} -c without a command string")
    elif reads_stdin or not operands:
        concerns.append(_STDIN.format(program))
        return CodeFindings(tuple(concerns), tuple(code), reads_stdin=True)
    at = (i,) if operands else ()
    stdin = not inline and bool(operands) and operands[0] in STDIN_FILES
    return CodeFindings(tuple(concerns), tuple(code), code_at=at, reads_stdin=stdin)


def _python(program: str, args: Sequence[str]) -> CodeFindings:
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "-":
            break
        if arg == "--" or not arg.startswith("-"):
            # A script file: the policy judges the program and its args.
            at = i if arg == "--" else i - 1
            stdin = at < len(args) and args[at] in STDIN_FILES
            return CodeFindings(code_at=(at,), reads_stdin=stdin)
        if arg.startswith("--"):
            i += 1 if arg == "--check-hash-based-pycs" else 0
            continue
        for pos, letter in enumerate(arg[1:]):
            rest = arg[pos + 2 :]
            if letter == "c":
                return CodeFindings(
                    (f"{program} -c runs inline code",), code_at=(i - 1 if rest else i,)
                )
            if letter == "m":
                module = rest or (args[i] if i < len(args) else "")
                return _module(program, module, args[i + (0 if rest else 1) :])
            if letter in "WX":
                i += 0 if rest else 1
                break
    if any(arg in _HARMLESS for arg in args):
        return CodeFindings()
    return CodeFindings((_STDIN.format(program),), reads_stdin=True)


def _module(program: str, module: str, args: Sequence[str]) -> CodeFindings:
    if module == "pip" and args[:1] and args[0] in ("install", "download", "wheel"):
        return CodeFindings((f"{program} -m pip {args[0]} runs package build code",))
    return CodeFindings()


def _inline(program: str, args: Sequence[str]) -> CodeFindings:
    pattern = _INLINE[program]
    hits = [i for i, arg in enumerate(args) if pattern.match(arg)]
    if program in ("pwsh", "powershell"):
        return CodeFindings(("PowerShell code is not analysed",), code_at=tuple(range(len(args))))
    if hits:
        # The code is the option's next word, or the option itself (`-e=…`, `-ecode`).
        at = tuple(j for i in hits for j in (i, i + 1) if j < len(args))
        return CodeFindings((f"{program} {args[hits[0]]} runs inline code",), code_at=at)
    if all(arg.startswith("-") for arg in args) and not any(a in _HARMLESS for a in args):
        return CodeFindings((_STDIN.format(program),), reads_stdin=True)
    script = next((i for i, arg in enumerate(args) if not arg.startswith("-")), None)
    if script is None:
        return CodeFindings()
    return CodeFindings(code_at=(script,), reads_stdin=args[script] in STDIN_FILES)


def _eval(program: str, args: Sequence[str]) -> CodeFindings:
    concerns = ("eval runs its arguments as shell code",)
    return CodeFindings(concerns, (" ".join(args),), code_at=tuple(range(len(args))))


def _source(program: str, args: Sequence[str]) -> CodeFindings:
    at = 1 if args and args[0] == "--" else 0
    stdin = at < len(args) and args[at] in STDIN_FILES
    concerns = (f"{program} runs a script in the current shell",)
    return CodeFindings(concerns, code_at=(at,) if at < len(args) else (), reads_stdin=stdin)


def _trap(program: str, args: Sequence[str]) -> CodeFindings:
    rest = list(args[1:] if args[:1] == ["--"] else args)
    if not rest or rest[0] in ("-", "") or rest[0].startswith("-"):
        return CodeFindings()
    return CodeFindings(("trap registers shell code to run later",), (rest[0],))


def _option_code(
    options: frozenset[str], concern: str
) -> Callable[[str, Sequence[str]], CodeFindings]:
    """A handler for programs whose option `names` take shell code (`su -c`, `script -c`)."""

    def handler(program: str, args: Sequence[str]) -> CodeFindings:
        code: list[str] = []
        for i, arg in enumerate(args):
            name, eq, value = arg.partition("=")
            if name in options:
                code.append(value if eq else (args[i + 1] if i + 1 < len(args) else ""))
        return CodeFindings((concern,), tuple(code))

    return handler


_HANDLERS: Mapping[str, Callable[[str, Sequence[str]], CodeFindings]] = {
    **dict.fromkeys(SHELLS, _shell),
    "eval": _eval,
    "source": _source,
    ".": _source,
    "trap": _trap,
    "su": _option_code(frozenset({"-c", "--command", "--session-command"}), PRIVILEGE),
    "script": _option_code(frozenset({"-c", "--command"}), "script runs a shell"),
    "nix-shell": _option_code(frozenset({"--run", "--command"}), "nix-shell runs shell hooks"),
}
