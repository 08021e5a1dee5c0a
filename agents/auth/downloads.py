"""Download-and-execute: code fetched from the network and run by a shell or interpreter.

`curl -fsSL https://… | sh` runs a script nobody has read, from a server that can change it
between two requests. Each piece alone only asks (a network tool, a shell reading stdin); the
danger is the flow between them, which the shell analysis finds here and records on the command
that runs the code as the flow `download-exec`, for a policy rule to deny:

- a pipeline whose earlier stage fetches and whose later stage reads code from stdin
  (`curl … | sh`, `wget -qO- … | bash -s`, `curl … | python3 -`);
- code given as a word that a fetch computes (`bash -c "$(curl …)"`, `python -c "$(curl …)"`,
  `eval "$(curl …)"`, `sh <(curl …)`, `source <(curl …)`), or stdin that one fills
  (`sh < <(curl …)`, `bash <<< "$(curl …)"`);
- a script file a fetch in the same line wrote, then run (`curl -o x.sh … && sh x.sh`,
  `wget …/install.sh && bash install.sh`, `./x.sh`), when the two spell the same path.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Iterator, Sequence
from urllib.parse import urlsplit

from agents.auth.argv import Syntax, has_option, operands, scan
from agents.auth.egress import network_use
from agents.auth.interpreters import CodeFindings, inspect
from agents.auth.paths import command_paths
from agents.auth.shell_types import Flow, SimpleCommand

DOWNLOAD_EXEC: Flow = "download-exec"

_CURL = Syntax(
    short_values="AbcCdDeEFHKmoPQrTuUwxXYyzt",
    long_values=frozenset({"--output", "--output-dir", "--data", "--header", "--user-agent"}),
)
_WGET = Syntax(
    short_values="eoaOPiBTtwQUlADIRX",
    long_values=frozenset({"--output-document", "--directory-prefix"}),
)


def fetches(commands: Iterable[SimpleCommand]) -> bool:
    """Whether any of `commands` talks to the network (its output may be downloaded code)."""
    return any(network_use(c) is not None for c in commands)


def runs_fetched(code: CodeFindings, fetched: Sequence[bool], *, stdin_fetched: bool) -> bool:
    """Whether a runner whose code is `code` runs what a fetch produced.

    `fetched[i]` says whether argument `i` is computed by a fetch (a substitution that talks to
    the network); `stdin_fetched` whether its stdin is filled by one.
    """
    if code.reads_stdin and stdin_fetched:
        return True
    return any(fetched[i] for i in code.code_at if i < len(fetched))


def with_download(cmd: SimpleCommand) -> SimpleCommand:
    """`cmd` marked as running downloaded code."""
    if DOWNLOAD_EXEC in cmd.flows:
        return cmd
    return dataclasses.replace(cmd, flows=(*cmd.flows, DOWNLOAD_EXEC))


def mark_pipeline(commands: list[SimpleCommand], stages: Sequence[tuple[int, int]]) -> None:
    """Mark every command of a later stage that reads code from stdin after a fetching stage.

    `stages` are (start, end) slices of `commands`, one per pipeline stage, nested commands
    included: a substitution in a later stage inherits the pipe as its stdin too.
    """
    fetched = False
    for start, end in stages:
        if fetched:
            for k in range(start, end):
                cmd = commands[k]
                if inspect(cmd.program, cmd.argv[1:]).reads_stdin:
                    commands[k] = with_download(cmd)
        fetched = fetched or fetches(commands[start:end])


def mark_fetched_scripts(commands: list[SimpleCommand]) -> None:
    """Mark every command that runs, as its script, a file a fetch in the line wrote."""
    files = {os.path.normpath(f) for c in commands if network_use(c) for f in _written(c)}
    if not files:
        return
    for k, cmd in enumerate(commands):
        if not cmd.argv:
            continue
        code = inspect(cmd.program, cmd.argv[1:])
        scripts = [cmd.argv[1 + i] for i in code.code_at if 1 + i < len(cmd.argv)]
        if "/" in cmd.argv[0]:
            scripts.append(cmd.argv[0])  # `./install.sh` after `chmod +x`
        if any(os.path.normpath(s) in files for s in scripts if s):
            commands[k] = with_download(cmd)


def _written(cmd: SimpleCommand) -> Iterator[str]:
    """The files a network command writes: `-o`, redirections, and curl -O / wget's defaults."""
    yield from (path for path, writes in command_paths(cmd) if writes)
    args = cmd.argv[1:]
    if cmd.program == "curl":
        opts = scan(args, _CURL)
        if has_option(opts, frozenset({"-O", "--remote-name", "--remote-name-all"})):
            folder = next((o.value for o in opts if o.name == "--output-dir" and o.value), "")
            yield from (os.path.join(folder, _remote_name(u)) for u in operands(opts))
    elif cmd.program in ("wget", "wget2"):
        opts = scan(args, _WGET)
        if not has_option(opts, frozenset({"-O", "--output-document"})):
            prefixes = {"-P", "--directory-prefix"}
            folder = next((o.value for o in opts if o.name in prefixes and o.value), "")
            yield from (os.path.join(folder, _remote_name(u)) for u in operands(opts))


def _remote_name(url: str) -> str:
    """The file name a download tool gives a URL (`index.html` for a directory)."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return name or "index.html"
