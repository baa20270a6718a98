"""``genlens keys rotate-content``: re-seal stored content under the active content key.

On a running server (``--server URL``) it asks the server to rotate
(``POST /api/v1/content/rotate``) and waits for the end: the server re-seals in
small chunks through its one writer, so ingest and reads go on meanwhile.  On a
stopped server's data directory (``--data DIR``) it does the same itself, with
the content keys of the settings (``GENLENS_CONTENT_KEY``,
``GENLENS_CONTENT_KEY_FILE`` or ``--config``) — DuckDB allows one writer per
file, so a directory a running server holds is refused.

Rotating: put the new key first in ``content_key`` with the old one after it,
restart the server, run this, and once it reports nothing unreadable, drop the
old key and restart.  Rows that cannot be opened (their key is missing, or they
fail authentication) are left as they are, counted, and make the exit code 1.

This module only adds ``rotate-content`` to the ``keys`` command group of
``keys_cli.py`` (:func:`register_rotate`).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import orjson

from genlens.errors import BadRequest, GenlensError


def register_rotate(keys_subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``rotate-content`` to the sub-parsers of a ``keys`` command."""
    rotate = keys_subparsers.add_parser("rotate-content", help="re-seal stored content under the active content key",
                                        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = rotate.add_mutually_exclusive_group(required=True)
    where.add_argument("--server", metavar="URL", help="a running genlens server (e.g. http://127.0.0.1:4318)")
    where.add_argument("--data", metavar="DIR", help="a stopped server's data directory (holds genlens.duckdb)")
    rotate.add_argument("--config", type=Path, help="YAML settings file naming the content keys (with --data)")
    rotate.add_argument("--chunk-rows", type=int, default=500, help="rows re-sealed per transaction (with --data)")
    rotate.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for the server's rotation")
    rotate.add_argument("--format", choices=("text", "json"), default="text")
    rotate.set_defaults(func=run_rotate)


def run_rotate(args: argparse.Namespace) -> int:
    if args.server:
        view = _rotate_server(args.server, args.timeout)
    else:
        view = _rotate_data(Path(args.data).expanduser(), args.config, args.chunk_rows)
    sys.stdout.write(orjson.dumps(view, option=orjson.OPT_INDENT_2).decode() + "\n" if args.format == "json"
                     else summary(view))
    if view.get("error"):
        return 2
    return 1 if view["unreadable_rows"] else 0


def _rotate_data(directory: Path, config: Path | None, chunk_rows: int) -> dict[str, Any]:
    from genlens.settings import resolve
    from genlens.store.cli import DB_FILE, check_data_file
    from genlens.store.content_rotation import rotate_content
    from genlens.store.duckdb import DuckDBStore
    from genlens.store.writer import Writer

    if chunk_rows < 1:
        raise BadRequest("--chunk-rows must be at least 1")
    keyring = resolve({"data": str(directory)}, config_file=config).content_keyring()
    if keyring.active is None:
        raise BadRequest("no content key is configured: set GENLENS_CONTENT_KEY or GENLENS_CONTENT_KEY_FILE "
                         "(or content_key / content_key_file in --config) to the keys, the new one first")
    path = directory / DB_FILE
    check_data_file(path)
    store = DuckDBStore(path, keyring=keyring)
    writer = Writer(store, max_queued=1, max_batch=1)  # the same one write path as the server's
    try:
        return rotate_content(writer, keyring, chunk_rows).view()
    finally:
        writer.close()
        store.close()


def _rotate_server(server: str, timeout_s: float) -> dict[str, Any]:
    base = server.rstrip("/") + "/api/v1/content/rotate"
    started = _call("POST", base)["rotation"]
    deadline = time.monotonic() + timeout_s
    view: dict[str, Any] = started
    while view["running"]:
        if time.monotonic() > deadline:
            raise GenlensError(f"the rotation on {server} is still running after {timeout_s:g} s "
                               f"({view['resealed_rows']} rows re-sealed); GET {base} shows its progress")
        time.sleep(0.2)
        view = _call("GET", base)["rotation"]
        if view["started_ns"] != started["started_ns"]:
            raise GenlensError(f"another rotation started on {server} meanwhile; GET {base} shows its progress")
    return view


def _call(method: str, url: str) -> dict[str, Any]:
    from genlens.remote import call

    answer: dict[str, Any] = call(method, url)
    return answer


def summary(view: dict[str, Any]) -> str:
    """The rotation as a few lines of text."""
    former = ", ".join(f"{k}: {v}" for k, v in view["resealed_by_former_key"].items()) or "none"
    lines = [f"content re-sealed under key {view['active_key']!r}: {view['resealed_rows']} rows ({former}) "
             f"in {view['chunks']} chunks"]
    if view["unreadable_rows"]:
        reasons = ", ".join(f"{k}: {v}" for k, v in view["unreadable_by_reason"].items())
        lines.append(f"left as they are, not readable with the configured keys: {view['unreadable_rows']} rows "
                     f"({reasons})")
    if view.get("error"):
        lines.append(f"stopped by an error: {view['error']}")
    return "\n".join(lines) + "\n"
