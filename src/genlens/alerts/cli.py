"""``genlens dashboards export``: Grafana dashboards (executive, operator, debug) over the ``/metrics`` series;
``genlens alerts rules``: Prometheus threshold alert rules over the same series."""

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

    alerts = subparsers.add_parser("alerts", help="export Prometheus threshold alert rules over /metrics",
                                   description=__doc__)
    alert_commands = alerts.add_subparsers(dest="alerts_command", metavar="ACTION")
    rules = alert_commands.add_parser("rules", help="write the threshold alert rules (error rate, provider down, "
                                                    "TTFT, latency, refusals, spend)")
    rules.add_argument("--out", default=None, help="file to write (default: standard output)")
    rules.set_defaults(func=_rules)
    alerts.set_defaults(func=lambda _args: alerts.print_help() or 2)


def _rules(args: argparse.Namespace) -> int:
    import sys

    import yaml

    from genlens.alerts.threshold_rules import rules_document

    text = yaml.safe_dump(rules_document(), sort_keys=False, allow_unicode=True)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"{args.out}: {len(rules_document()['groups'][0]['rules'])} rules", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


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
