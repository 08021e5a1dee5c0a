"""Splitting a request into the parts the engine decides one by one.

A shell command becomes one part per simple command (nested ones included) plus one part per
path each of them reads or writes; a file tool becomes one part per path. Every path is resolved
(symlinks included, the last component too) before any rule sees it, and relative paths are
resolved against every directory a `cd` in the same command line might have moved to, so
`cd /etc && cat passwd` is judged as a read of `/etc/passwd`.
"""

from __future__ import annotations

import glob
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from agents.auth import hazards
from agents.auth.compiled import Part
from agents.auth.egress import NO_SECRETS, SecretFacts, egress_floor
from agents.auth.hazards import Floor
from agents.auth.operands import extra_paths
from agents.auth.paths import command_paths, file_url_path, is_url, is_within, resolve
from agents.auth.requests import PATH_TOOLS, WRITE_TOOLS, Decision, ToolKind, ToolRequest
from agents.auth.shell import ShellAnalysis, SimpleCommand, analyze
from agents.auth.shell_unwrap import Script, script_of

#: More expansions than this and a glob is judged unknowable rather than enumerated.
MAX_GLOB_MATCHES = 256
_CD = frozenset({"cd", "pushd"})
_EXEC = frozenset({ToolKind.EXECUTE})
_EXEC_READ = frozenset({ToolKind.EXECUTE, ToolKind.READ})
_EXEC_EDIT = frozenset({ToolKind.EXECUTE, ToolKind.EDIT})


@lru_cache(maxsize=8192)
def cached_analysis(command: str) -> ShellAnalysis:
    """`shell.analyze`, memoised by the command text (analysis is a pure function of it)."""
    return analyze(command)


@lru_cache(maxsize=8192)
def cached_script(command: str) -> Script:
    """`shell_unwrap.script_of`, memoised by the command text."""
    return script_of(command)


@lru_cache(maxsize=8192)
def _paths_of(command: SimpleCommand) -> tuple[tuple[str, bool], ...]:
    return command_paths(command) + extra_paths(command)


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    """The resolved directories a request is judged in."""

    workspace: Path
    home: Path
    cwd: Path
    secrets: SecretFacts = NO_SECRETS

    @classmethod
    def of(
        cls, request: ToolRequest, home: Path | None, secrets: SecretFacts = NO_SECRETS
    ) -> Context:
        """Resolve the workspace, home and working directory of `request` once."""
        here = Path.cwd()
        workspace = resolve(str(request.workspace), cwd=here)
        real_home = resolve(str(home if home is not None else Path.home()), cwd=here)
        cwd = request.cwd if request.cwd is not None else workspace
        cwd = resolve(str(cwd), cwd=workspace, home=real_home)
        return cls(workspace=workspace, home=real_home, cwd=cwd, secrets=secrets)


def request_parts(request: ToolRequest, ctx: Context) -> list[Part]:
    """Every part of `request`, in the order they are reported."""
    parts: list[Part] = []
    if not is_within(ctx.cwd, ctx.workspace):
        tools = _EXEC_READ if request.tool is ToolKind.EXECUTE else frozenset({request.tool})
        parts.append(_path_part(str(ctx.cwd), ctx.cwd, write=False, tools=tools, ctx=ctx))
    if request.tool is ToolKind.EXECUTE:
        parts.extend(_command_parts(request.command, ctx))
    elif request.tool in PATH_TOOLS or (request.tool is ToolKind.OTHER and request.paths):
        raws = request.paths or ((str(ctx.cwd),) if request.tool is ToolKind.SEARCH else ())
        tools = frozenset({request.tool})
        write = request.tool in WRITE_TOOLS
        parts.extend(_path_part(r, ctx.cwd, write=write, tools=tools, ctx=ctx) for r in raws)
        if not raws:
            parts.append(Part(subject=f"{request.tool} with no path", tools=tools))
    else:
        subject = request.url if request.tool is ToolKind.FETCH and request.url else request.tool
        parts.append(Part(subject=str(subject), tools=frozenset({request.tool})))
    return parts


def _command_parts(command: str | None, ctx: Context) -> Iterator[Part]:
    if command is None or not command.strip():
        yield Part(
            subject="(empty command)", tools=_EXEC, floors=((Decision.ASK, "there is no command"),)
        )
        return
    # `/bin/sh -lc 'SCRIPT'` runs SCRIPT: judge the script, so both shapes get one verdict.
    script = cached_script(command)
    analysis = cached_analysis(script.text)
    # The egress floor comes first so that, among equal floors, its reason is the one shown.
    # It reads the whole line: a secret may sit in a variable the wrapper sets.
    egress = egress_floor(command, analysis, ctx.secrets)
    floors: list[Floor] = [egress] if egress is not None else []
    floors += [f for a in script.assignments if (f := hazards.assignment_floor(a)) is not None]
    floors += [(Decision.ASK, c) for c in analysis.concerns]
    if not analysis.parsed:
        floors.append((Decision.ASK, "the command could not be fully parsed"))
    elif not analysis.commands:
        floors.append((Decision.ASK, "the command runs nothing recognisable"))
    if floors:
        yield Part(subject=script.text, tools=_EXEC, floors=tuple(floors))
    cwds = _possible_cwds(analysis.commands, ctx)
    for cmd in analysis.commands:
        yield from _simple_command_parts(cmd, cwds, ctx)


def _possible_cwds(commands: tuple[SimpleCommand, ...], ctx: Context) -> tuple[Path, ...]:
    # Order-insensitive on purpose: loops and subshells make any cd reachable from any command.
    cwds = [ctx.cwd]
    for cmd in commands:
        if cmd.program in _CD and (target := _cd_target(cmd)) is not None:
            for base in list(cwds):
                moved = resolve(target, cwd=base, home=ctx.home)
                if moved not in cwds:
                    cwds.append(moved)
    return tuple(cwds)


def _cd_target(cmd: SimpleCommand) -> str | None:
    operands = [a for a in cmd.argv[1:] if not a.startswith("-") or a == "-"]
    if not operands:
        return "~"
    return None if operands[0] == "-" else operands[0]


# Global options that change only presentation, never what runs: dropped before matching so
# that `git --no-pager push --force` meets the rules written for `git push`.
_INERT_GLOBALS: dict[str, frozenset[str]] = {
    "git": frozenset(
        {
            "--no-pager",
            "-P",
            "--paginate",
            "-p",
            "--no-replace-objects",
            "--no-optional-locks",
            "--literal-pathspecs",
            "--glob-pathspecs",
            "--noglob-pathspecs",
            "--icase-pathspecs",
            "--no-advice",
            "--bare",
        }
    ),
}


def _matchable(cmd: SimpleCommand) -> tuple[str, ...]:
    """The tokens rules are matched against: the program, then argv minus inert globals."""
    if not cmd.argv:
        return ()
    args = list(cmd.argv[1:])
    inert = _INERT_GLOBALS.get(cmd.program, frozenset())
    while args and args[0] in inert:
        args.pop(0)
    if cmd.program in _PYTEST or args[:2] == ["-m", "pytest"]:
        args = _without_disabled_plugins(args)
    return (cmd.program, *args)


_PYTEST = frozenset({"pytest", "py.test"})


def _without_disabled_plugins(args: list[str]) -> list[str]:
    """pytest's args minus `-p no:NAME` / `-pno:NAME`: disabling a plugin loads nothing."""
    kept: list[str] = []
    skip = False
    for i, arg in enumerate(args):
        if skip:
            skip = False
        elif arg == "-p" and i + 1 < len(args) and args[i + 1].startswith("no:"):
            skip = True
        elif not arg.startswith("-pno:"):
            kept.append(arg)
    return kept


def _simple_command_parts(
    cmd: SimpleCommand, cwds: tuple[Path, ...], ctx: Context
) -> Iterator[Part]:
    tokens = _matchable(cmd)
    path_ops = list(_paths_of(cmd))
    if cmd.program in _CD:
        target = _cd_target(cmd)
        path_ops.append((target if target is not None else ".", False))
    path_parts: list[Part] = []
    for raw, write in path_ops:
        tools = _EXEC_EDIT if write else _EXEC_READ
        for expanded, floor in _expansions(raw, cwds, ctx):
            bases = cwds[:1] if expanded.startswith(("/", "~")) else cwds
            floors = (floor,) if floor is not None else ()
            path_parts.extend(
                _path_part(expanded, cwd, write=write, tools=tools, ctx=ctx, floors=floors)
                for cwd in bases
            )
    resolved = tuple(p.path for p in path_parts if p.path is not None)
    subject = shlex.join(cmd.argv) if cmd.argv else shlex.join(cmd.assignments) or "(redirect)"
    yield Part(
        subject=subject,
        tools=_EXEC,
        tokens=tokens,
        paths=resolved,
        floors=tuple(_command_floors(cmd, cwds, ctx)),
        flows=frozenset(cmd.flows),
    )
    yield from path_parts


def _command_floors(cmd: SimpleCommand, cwds: tuple[Path, ...], ctx: Context) -> Iterator[Floor]:
    yield from ((Decision.ASK, c) for c in cmd.concerns)
    yield from (hazards.dangerous_floor(d) for d in cmd.dangerous)
    for wrapper in cmd.wrappers:
        if (floor := hazards.wrapper_floor(wrapper)) is not None:
            yield floor
    for assignment in cmd.assignments:
        if (floor := hazards.assignment_floor(assignment)) is not None:
            yield floor
    yield from hazards.token_floors((cmd.program, *cmd.argv[1:]) if cmd.argv else ())
    for token in cmd.argv[1:]:
        if hazards.has_glob(token) and not hazards.is_dynamic(token):
            for cwd in cwds:
                names = _glob(token, cwd, ctx)
                if names is None or any(Path(n).name.startswith("-") for n in names):
                    yield (Decision.ASK, f"'{token}' may expand to a file name read as an option")
                    return


def _glob(pattern: str, cwd: Path, ctx: Context) -> list[str] | None:
    """Bash's expansion of `pattern` (no dot files), or None when there are too many."""
    if pattern.startswith("~/"):
        pattern = str(ctx.home) + pattern[1:]
    names: list[str] = []
    for name in glob.iglob(pattern, root_dir=cwd):
        names.append(name)
        if len(names) > MAX_GLOB_MATCHES:
            return None
    return names


def _expansions(
    raw: str, cwds: tuple[Path, ...], ctx: Context
) -> Iterator[tuple[str, Floor | None]]:
    """The paths bash would pass for operand `raw`: its glob matches, or `raw` itself."""
    if hazards.is_dynamic(raw):
        yield raw, (Decision.ASK, f"the path '{raw}' is computed at run time")
        return
    if not hazards.has_glob(raw):
        yield raw, None
        return
    seen: set[str] = set()
    for cwd in cwds:
        names = _glob(raw, cwd, ctx)
        if names is None:
            yield raw, (Decision.ASK, f"'{raw}' matches too many files to check")
            return
        seen.update(names)
    if not seen:
        yield raw, None
    for name in sorted(seen):
        yield name, None


def _path_part(
    raw: str,
    cwd: Path,
    *,
    write: bool,
    tools: frozenset[ToolKind],
    ctx: Context,
    floors: tuple[Floor, ...] = (),
) -> Part:
    if is_url(raw):
        # Never a workspace path, whatever it resolves to; a `file:` URL is judged as the file
        # it names too (so `secrets` still denies), any other stays the URL it is.
        local = file_url_path(raw)
        resolved = str(resolve(local, cwd=cwd, home=ctx.home)) if local is not None else raw
        floor = (Decision.DENY if write else Decision.ASK, "a URL is not a workspace path")
        floors = (*floors, floor)
    else:
        resolved = str(resolve(raw, cwd=cwd, home=ctx.home))
    plain = resolved == raw or (cwd == ctx.cwd and resolved == str(cwd / raw))
    subject = raw if plain else f"{raw} (→ {resolved})"
    return Part(
        subject=subject,
        tools=tools,
        tokens=None,
        paths=(resolved,),
        path=resolved,
        write=write,
        floors=floors,
    )
