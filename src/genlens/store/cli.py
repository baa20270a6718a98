"""``genlens store rebuild --data DIR``: refill the derived tables (trace summaries, hourly rollups) from spans.

The writer keeps those tables in step with the spans on every commit; a rebuild
is for repair (or after an upgrade that changed what they hold).  It needs the
DuckDB file for writing, so it refuses a file a running server holds (DuckDB
allows one writer per file) — stop the server first.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from genlens.errors import StoreError

DB_FILE = "genlens.duckdb"


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    store = subparsers.add_parser("store", help="maintenance of a data directory (genlens store rebuild)")
    sub = store.add_subparsers(dest="store_command", metavar="COMMAND", required=True)
    rebuild = sub.add_parser("rebuild", help="refill trace summaries and hourly rollups from the stored spans",
                             description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    rebuild.add_argument("--data", metavar="DIR", required=True, help="the data directory (holds genlens.duckdb)")
    rebuild.set_defaults(func=run_rebuild)


def check_data_file(path: Path) -> None:
    """Refuse, before anything is written, a directory without a genlens file or a DuckDB file of another program."""
    import duckdb

    if not path.parent.is_dir():
        raise StoreError(f"no data directory at {str(path.parent)!r}")
    if not path.is_file():
        raise StoreError(f"{str(path.parent)!r} is not a genlens data directory (no {DB_FILE} in it)")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise StoreError(f"cannot open {str(path)!r} (is a genlens server running on it? stop it first): "
                         f"{exc}") from exc
    try:
        tables = {row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    finally:
        con.close()
    if not {"schema_migrations", "spans"} <= tables:
        raise StoreError(f"{str(path)!r} is not a genlens database (no schema_migrations/spans tables)")


def run_rebuild(args: argparse.Namespace) -> int:
    from genlens.store.duckdb import DuckDBStore

    path = Path(args.data).expanduser() / DB_FILE
    check_data_file(path)
    store = DuckDBStore(path)
    try:
        store.rebuild_summaries()
        counts = store.counts()
    finally:
        store.close()
    print(f"rebuilt from {counts['spans']} spans: {counts['trace_summaries']} trace summaries, "
          f"{counts['cost_hourly']} cost rollup rows, {counts['latency_hourly']} latency rollup rows")
    return 0
