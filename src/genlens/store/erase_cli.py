"""``genlens erase``: erase every trace of one user, conversation or trace, and print the receipt.

With ``--data DIR`` it works on the data directory of a stopped server (DuckDB allows one writer per file,
so a directory a running server holds is refused: use ``--server``); with ``--server URL`` it asks a
running server (``POST /api/v1/erasure``).  Either way the request is recorded first and the erasure runs
in one transaction, re-counting every table; the receipt shows, per table, the rows found, deleted and
remaining (always 0).  Bad input — no selector or several, an empty value, one longer than 256
characters or holding a control character — exits with 2 and changes nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson

from genlens.store.erasure import MAX_PURPOSE_CHARS, SELECTORS, check_text, selector_of


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("erase", help="erase every trace of a user, conversation or trace (a receipt)",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    which = parser.add_mutually_exclusive_group(required=True)
    for kind in SELECTORS:
        which.add_argument(f"--{kind.replace('_', '-')}", dest=kind, metavar=kind.split("_")[0].upper(),
                           help=f"erase every trace holding a span of this {kind.replace('_', ' ')}")
    parser.add_argument("--tenant", help="only within this tenant (default: every tenant)")
    parser.add_argument("--purpose", help="why (kept in the request and the audit log)")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--data", metavar="DIR", help="the data directory of a stopped server (holds genlens.duckdb)")
    where.add_argument("--server", metavar="URL", help="a running genlens server")
    parser.add_argument("--format", choices=("md", "json"), default="md")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the server (default 300)")
    parser.set_defaults(func=run_erase)


def run_erase(args: argparse.Namespace) -> int:
    given = {kind: getattr(args, kind) for kind in SELECTORS}
    selector = selector_of(given, args.tenant)
    purpose = None if args.purpose is None else check_text("purpose", args.purpose, MAX_PURPOSE_CHARS)
    if args.server:
        body = {selector.kind: selector.value, "tenant": args.tenant, "purpose": purpose}
        receipt = _post(args.server, {k: v for k, v in body.items() if v is not None}, args.timeout)
    else:
        receipt = _erase_data(Path(args.data).expanduser(), selector, purpose)
    sys.stdout.write(orjson.dumps(receipt, option=orjson.OPT_INDENT_2).decode() + "\n" if args.format == "json"
                     else markdown(receipt))
    return 0


def _erase_data(directory: Path, selector: Any, purpose: str | None) -> dict[str, Any]:
    from genlens.store.cli import DB_FILE, check_data_file
    from genlens.store.duckdb import DuckDBStore
    from genlens.store.erasure import request_erasure
    from genlens.store.writer import Writer

    path = directory / DB_FILE
    check_data_file(path)
    store = DuckDBStore(path)
    writer = Writer(store, max_queued=1, max_batch=1)  # the same one write path as the server's
    try:
        return request_erasure(writer, selector, purpose, "cli")
    finally:
        writer.close()
        store.close()


def _post(server: str, body: dict[str, Any], timeout: float) -> dict[str, Any]:
    from genlens.remote import call

    receipt: dict[str, Any] = call("POST", server.rstrip("/") + "/api/v1/erasure", json=body, timeout=timeout)
    return receipt


def markdown(receipt: dict[str, Any]) -> str:
    """The receipt as a short Markdown report."""
    lines = [
        f"# Erasure {receipt['request_id']}", "",
        f"- selector: {receipt['selector']} (sha256 salted with the request id: {receipt['value_sha256']})",
        f"- tenant: {receipt['tenant'] or 'every tenant'}",
        f"- purpose: {receipt['purpose'] or '-'}",
        f"- requested: {receipt['requested_at']}; completed: {receipt['completed_at']}",
        f"- traces erased: {receipt['traces']}", "",
        "| table | found | deleted | updated | rederived | remaining |", "|---|---:|---:|---:|---:|---:|",
    ]
    for table, c in receipt["tables"].items():
        cells = [str(c.get(k, "")) for k in ("found", "deleted", "updated", "rederived", "remaining")]
        lines.append(f"| {table} | {' | '.join(cells)} |")
    lines += ["", f"Rows remaining: {receipt['remaining']}", ""]
    return "\n".join(lines)
