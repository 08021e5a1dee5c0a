"""Paths a command touches, resolved the way the kernel will see them.

Symlinks are the classic way out of a workspace, including a link as the final component and a
dangling link whose target the command would create. `resolve` follows every component;
`command_paths` says which words of a command are paths and whether they are written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from agents.auth.argv import PLAIN, Opt, Syntax, scan
from agents.auth.shell_types import SimpleCommand


def resolve(path: str, *, cwd: Path, home: Path | None = None) -> Path:
    """Expand `~`, anchor at `cwd`, and follow every symlink, dangling and final ones included.

    Symlink loops do not raise: the looping part is left as it is (it cannot be opened anyway).
    """
    # The kernel sees a C string, so anything after a NUL never reaches it.
    path = path.split("\0", 1)[0]
    if path == "~" or path.startswith("~/"):
        path = str(home if home is not None else Path.home()) + path[1:]
    elif path.startswith("~"):
        path = os.path.expanduser(path)
    joined = os.path.join(os.fspath(cwd), path)
    # realpath(strict=False) follows a dangling final link to its target and stops at loops.
    return Path(os.path.realpath(joined))


#: RFC 3986: a scheme is a letter, then letters, digits, `+`, `-` or `.`, then `:`.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
#: scp and rsync's remote `user@host:path`.
_REMOTE = re.compile(r"[^/\s]*@[^/\s]*:")


def is_url(path: str) -> bool:
    """Whether `path` is a URL or a remote `host:path`, never a file of the workspace.

    Joined to a directory, `file:///etc/passwd` would read as `DIR/file:/etc/passwd`. Any
    scheme prefix counts (`file:`, `https:`, `s3:`), and so does scp's `host:path` (a host name
    is a valid scheme) and `user@host:path`; a local file whose first component has a colon is
    written `./a:b`, and an absolute path never matches.
    """
    return _SCHEME.match(path) is not None or _REMOTE.match(path) is not None


def file_url_path(url: str) -> str | None:
    """The local path a `file:` URL names (`file:///etc/passwd` → `/etc/passwd`), else None."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc.lower() not in ("", "localhost"):
        return None
    return unquote(parts.path) or "/"


def is_within(path: Path, root: Path) -> bool:
    """Whether resolved `path` is `root` or below it, by component: `/ws2` is not in `/ws`."""
    return path == root or path.is_relative_to(root)


Operands = Literal["read", "write", "last-write", "none"]
"""What a file tool does to its path operands (see :class:`_FileTool`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _FileTool:
    """Which arguments of a file tool are paths, and which of those it writes.

    `operands` is "read", "write", "last-write" (cp: sources read, destination written) or
    "none"; `skip` operands come first and are not paths (chmod's mode); with `script_options`,
    the first operand is a pattern/script unless one of those options supplied it (grep -e).
    `switch_to_write` options make the operands writes (sed -i). `path_options` map options whose
    value is a path to whether it is written; `key_values` do the same for dd's `of=` words.
    """

    syntax: Syntax = PLAIN
    operands: Operands = "read"
    skip: int = 0
    script_options: frozenset[str] | None = None
    switch_to_write: frozenset[str] = frozenset()
    path_options: Mapping[str, bool] = field(default_factory=dict)
    key_values: Mapping[str, bool] = field(default_factory=dict)
    stop_at_expression: bool = False


def _n(*names: str) -> frozenset[str]:
    return frozenset(names)


_WRITE = _FileTool(operands="write")
_READ = _FileTool()
_COPY = _FileTool(
    syntax=Syntax(short_values="tSV", long_values=_n("--target-directory", "--suffix")),
    operands="last-write",
    path_options={"-t": True, "--target-directory": True},
)
_GREP = _FileTool(
    syntax=Syntax(short_values="efmABCdDg", long_values=_n("--regexp", "--file", "--max-count")),
    script_options=_n("-e", "-f", "--regexp", "--file"),
    path_options={"-f": False, "--file": False},
)

#: Well-known file tools. Programs not listed contribute only their redirections.
FILE_TOOLS: Mapping[str, _FileTool] = {
    "rm": _WRITE,
    "rmdir": _WRITE,
    "mv": _FileTool(syntax=_COPY.syntax, operands="write", path_options=_COPY.path_options),
    "cp": _COPY,
    "ln": _COPY,
    "install": _FileTool(
        syntax=Syntax(short_values="gmoStT", long_values=_n("--target-directory")),
        operands="last-write",
        path_options={"-t": True, "--target-directory": True},
    ),
    "touch": _FileTool(
        syntax=Syntax(short_values="dtr"), operands="write", path_options={"-r": False}
    ),
    "mkdir": _FileTool(syntax=Syntax(short_values="mZ"), operands="write"),
    "chmod": _FileTool(operands="write", skip=1),
    "chown": _FileTool(operands="write", skip=1),
    "chgrp": _FileTool(operands="write", skip=1),
    "tee": _WRITE,
    "truncate": _FileTool(syntax=Syntax(short_values="sr"), operands="write"),
    "dd": _FileTool(operands="none", key_values={"of": True, "if": False}),
    "sed": _FileTool(
        syntax=Syntax(short_values="efl", short_optional="i", long_values=_n("--expression")),
        script_options=_n("-e", "-f", "--expression", "--file"),
        switch_to_write=_n("-i", "--in-place"),
        path_options={"-f": False, "--file": False},
    ),
    "cat": _READ,
    "head": _FileTool(syntax=Syntax(short_values="nc")),
    "tail": _FileTool(syntax=Syntax(short_values="ncs")),
    "less": _READ,
    "more": _READ,
    "wc": _READ,
    "ls": _READ,
    "diff": _READ,
    "stat": _FileTool(syntax=Syntax(short_values="c", long_values=_n("--format"))),
    "file": _FileTool(syntax=Syntax(short_values="mfFe")),
    "grep": _GREP,
    "egrep": _GREP,
    "fgrep": _GREP,
    "rg": _FileTool(
        syntax=Syntax(short_values="efgtTmABCjMrE", long_values=_n("--regexp", "--file")),
        script_options=_n("-e", "-f", "--regexp", "--file"),
        path_options={"-f": False, "--file": False},
    ),
    "find": _FileTool(stop_at_expression=True),
    "curl": _FileTool(
        syntax=Syntax(short_values="AbcCdDeEFHKmoPQrTuUwxXYyzt", long_values=_n("--output")),
        operands="none",
        path_options={"-o": True, "--output": True, "-T": False, "--upload-file": False},
    ),
    "wget": _FileTool(
        syntax=Syntax(short_values="eoaOPiBTtwQUlADIRX"),
        operands="none",
        path_options={"-O": True, "--output-document": True, "-P": True},
    ),
}


def command_paths(cmd: SimpleCommand) -> tuple[tuple[str, bool], ...]:
    """The path-like words of `cmd` and whether each is written, redirections first."""
    found = [(r.target, r.writes) for r in cmd.redirects if r.is_file]
    tool = FILE_TOOLS.get(cmd.program)
    if tool is not None:
        found.extend(_tool_paths(tool, list(cmd.argv[1:])))
    return tuple(found)


def _tool_paths(tool: _FileTool, args: list[str]) -> list[tuple[str, bool]]:
    if tool.stop_at_expression:
        # find: the paths are the words before the first test/action (`-name`, `(`, `!`).
        return [(a, False) for a in _find_roots(args)]
    opts = scan(args, tool.syntax)
    found = [
        (o.value, tool.path_options[o.name])
        for o in opts
        if o.name in tool.path_options and o.value is not None
    ]
    words = [o.value for o in opts if not o.name and o.value is not None]
    for key, writes in tool.key_values.items():
        found.extend((w[len(key) + 1 :], writes) for w in words if w.startswith(key + "="))
    found.extend(_operand_paths(tool, opts, words))
    return found


def _operand_paths(tool: _FileTool, opts: list[Opt], words: list[str]) -> list[tuple[str, bool]]:
    if tool.operands == "none":
        return []
    skip = tool.skip
    if tool.script_options is not None and not any(o.name in tool.script_options for o in opts):
        skip += 1
    words = words[skip:]
    if tool.operands == "last-write":
        explicit_target = any(o.name in tool.path_options for o in opts)
        if explicit_target:
            return [(w, False) for w in words]
        return [(w, False) for w in words[:-1]] + [(w, True) for w in words[-1:]]
    writes = tool.operands == "write" or any(o.name in tool.switch_to_write for o in opts)
    return [(w, writes) for w in words]


def _find_roots(args: list[str]) -> list[str]:
    roots: list[str] = []
    for arg in args:
        if arg in ("-H", "-L", "-P") and not roots:
            continue
        if arg.startswith("-") or arg in ("(", "!", ")"):
            break
        roots.append(arg)
    return roots or ["."]
