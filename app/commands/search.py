"""``search``: find past commands, messages, paths and decisions in every session.

Like ``grep``, it exits 0 when something was found, 1 when nothing was, and 2 when it could not
search (a query with no word in it, an unknown kind or session, an encrypted database). The
first search of a database written before the index existed indexes it first (once).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from functools import cache

import orjson

from app.paths import data_dir
from app.wiring.store import open_database, policy_redactor
from sessions.errors import QuarterdeckError
from sessions.store.reading import resolve_session
from sessions.store.redaction import Redactor
from sessions.store.search import SearchHit, SearchQuery, search
from sessions.store.search_index import Progress
from sessions.store.search_text import INDEXED_KINDS

EXIT_FOUND, EXIT_NONE, EXIT_ERROR = 0, 1, 2
DEFAULT_LIMIT = 20
BOLD, PLAIN = "\x1b[1m", "\x1b[0m"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``search`` to the CLI."""
    p = sub.add_parser(
        "search",
        help="find past commands, messages, paths and decisions in every session",
        description='Words must all match; "quoted phrases" keep their order; word* is a'
        " prefix. Best match first, newest first among equals. Put -- before a query that"
        " starts with a dash.",
    )
    p.add_argument("query", nargs="+", help='words, "phrases" (quote them for the shell), prefix*')
    p.add_argument("--json", action="store_true", help="JSON Lines, one result per line")
    p.add_argument("--session", metavar="ID", help="only this session (id or unique prefix)")
    p.add_argument("--kind", metavar="KIND", help="only records of this kind, e.g. tool.requested")
    p.add_argument(
        "--limit",
        type=int,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"at most N results (default {DEFAULT_LIMIT})",
    )
    p.set_defaults(handler=cmd_search)


def cmd_search(args: argparse.Namespace) -> int:
    """Print the best results; exit 0 found, 1 none, 2 could not search."""
    try:
        hits = _search(args)
    except QuarterdeckError as exc:
        print(f"quarterdeck: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    out = sys.stdout
    bold = out.isatty() and "NO_COLOR" not in os.environ
    for hit in hits:
        if args.json:
            out.write(orjson.dumps(hit.as_dict()).decode() + "\n")
        else:
            out.write(_lines(hit, bold=bold))
    if hits and not args.json:
        first = hits[0]
        print(
            f"open one: quarterdeck replay {first.session_id[:8]} --at {first.seq}", file=sys.stderr
        )
    return EXIT_FOUND if hits else EXIT_NONE


def _search(args: argparse.Namespace) -> list[SearchHit]:
    if args.kind is not None and args.kind not in INDEXED_KINDS:
        known = ", ".join(sorted(INDEXED_KINDS))
        raise QuarterdeckError(
            f"records of kind {args.kind!r} are not searched; these are: {known}"
        )
    if args.limit < 1:
        raise QuarterdeckError("--limit must be at least 1")
    engine = open_database(args.db)
    try:
        session = resolve_session(engine, args.session) if args.session else None
        query = SearchQuery(
            text=" ".join(args.query), session_id=session, kind=args.kind, limit=args.limit
        )
        return search(engine, query, redact=_redact, progress=_told_once())
    finally:
        engine.dispose()


@cache
def _redactor() -> Redactor:
    """The store's redactor, with the keyring's secrets: only built when the index has to
    catch up (joined message chunks are masked again)."""
    from agents.secrets.errors import SecretsUnavailableError
    from agents.secrets.keyring_store import SecretStore

    try:
        values = list(SecretStore(data_dir() / "secrets.json").known_values().items())
    except SecretsUnavailableError:
        values = []
    return policy_redactor(values)


def _redact(text: str) -> str:
    return _redactor().redact_text(text)


def _told_once() -> Callable[[Progress], None]:
    """Say once, on stderr, that the index is being caught up (it can take a while)."""
    told = False

    def progress(step: Progress) -> None:
        nonlocal told
        if not step.done and not told:
            told = True
            print(
                f"quarterdeck: indexing the log for search ({step.head - step.indexed_seq:,}"
                " events left, once)…",
                file=sys.stderr,
                flush=True,
            )

    return progress


def _lines(hit: SearchHit, *, bold: bool) -> str:
    """Two lines: where (session, seq, time, kind, title), then the passage."""
    when = hit.ts[:19].replace("T", " ")
    head = f"{hit.session_id[:8]}  {hit.seq:>7}  {when}  {hit.kind:<18}  {hit.title}"
    return f"{head}\n          {_marked(hit, bold=bold)}\n"


def _marked(hit: SearchHit, *, bold: bool) -> str:
    if not bold:
        return hit.snippet
    text, end = [], 0
    for start, stop in hit.highlights:
        text += [hit.snippet[end:start], BOLD, hit.snippet[start:stop], PLAIN]
        end = stop
    text.append(hit.snippet[end:])
    return "".join(text)
