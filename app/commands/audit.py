"""``audit verify``: check every link of the chain and the anchors."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from app.wiring.store import anchors_for
from sessions.store.anchors import read_anchors
from sessions.store.engine import open_engine
from sessions.store.verify import VerifyReport, verify_chain


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the audit commands to the CLI."""
    audit = sub.add_parser("audit", help="verify the tamper-evident event log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True, metavar="COMMAND")
    p = audit_sub.add_parser("verify", help="recompute every hash and link; exit 1 if broken")
    p.add_argument(
        "--anchor", type=Path, help="anchors file to check against (default: the data dir's)"
    )
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.set_defaults(handler=cmd_verify)


def _progress(done: int, total: int) -> None:
    share = 100 * done // total if total else 100
    bar = "#" * (share // 4)
    sys.stderr.write(f"\rverifying [{bar:<25}] {share:3d}%  {done}/{total}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def cmd_verify(args: argparse.Namespace) -> int:
    """Verify the chain; exit 0 when every link holds, 1 naming the first bad seq."""
    engine = open_engine(args.db, create=False)
    if args.anchor is not None:
        anchor_path: Path | None = args.anchor
        if not args.anchor.exists():
            print(f"quarterdeck: error: no anchors file at {args.anchor}", file=sys.stderr)
            return 2
    else:
        log = anchors_for(engine)
        anchor_path = None if log is None else log.path
    anchors = read_anchors(anchor_path) if anchor_path is not None else []
    progress = _progress if sys.stderr.isatty() and not args.json else None
    report = verify_chain(engine, anchors=anchors, progress=progress)
    _print(report, anchor_path, as_json=args.json)
    return 0 if report.ok else 1


def _print(report: VerifyReport, anchor_path: Path | None, *, as_json: bool) -> None:
    if as_json:
        data = {
            "ok": report.ok,
            "checked": report.checked,
            "head_seq": report.head_seq,
            "head_hash": report.head_hash,
            "bad_seq": report.bad_seq,
            "problem": None if report.problem is None else str(report.problem),
            "detail": report.detail,
            "anchors_checked": report.anchors_checked,
            "anchors_file": None if anchor_path is None else str(anchor_path),
        }
        print(orjson.dumps(data).decode())
        return
    if report.ok:
        print(
            f"ok: {report.checked} events, head seq {report.head_seq} {report.head_hash[:16]},"
            f" {report.anchors_checked} anchors checked"
        )
    else:
        print(f"BROKEN at seq {report.bad_seq}: {report.problem}: {report.detail}")
