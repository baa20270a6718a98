"""``genlens dashboards export``: Grafana dashboards (executive, operator, debug) over the ``/metrics`` series."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("dashboards", help="export Grafana dashboards over genlens' /metrics",
                                   description=__doc__)
    commands = parser.add_subparsers(dest="dashboards_command", metavar="ACTION")
    export = commands.add_parser("export", help="write genlens-executive.json, -operator.json and -debug.json")
    export.add_argument("--out", type=Path, default=Path("."), help="directory to write to (default: here)")
    export.add_argument("--genlens-url", default="http://127.0.0.1:4318",
                        help="this genlens' base URL, for links from the dashboards into its traces")
    export.set_defaults(func=_export)
    parser.set_defaults(func=lambda _args: parser.print_help() or 2)


def _export(args: argparse.Namespace) -> int:
    from genlens.alerts.dashboards import export, queries
    from genlens.errors import ConfigError

    if not str(args.genlens_url).startswith(("http://", "https://")):
        raise ConfigError(f"--genlens-url must be an http:// or https:// URL, got {args.genlens_url!r}")
    if args.out.exists() and not args.out.is_dir():
        raise ConfigError(f"--out {str(args.out)!r} is not a directory")
    args.out.mkdir(parents=True, exist_ok=True)
    for tier, board in export(args.genlens_url).items():
        path = args.out / f"genlens-{tier}.json"
        path.write_text(json.dumps(board, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{path}: {len(board.get('panels', []))} panels, {len(queries(board))} queries")
    return 0
