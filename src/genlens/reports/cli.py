"""``genlens report cost`` and ``genlens detect …``: against a running server or a data directory.

``genlens detect cost`` runs the cost detectors (findings); ``genlens detect
errors|latency|refusals|spend|rules`` replays the built-in detectors and the
alert rules of that family over the range and answers what would have fired,
for which slice, and when it resolved; ``genlens detect all`` does both.

With ``--server URL`` the numbers come from the REST API (the way to go while a
server runs: DuckDB lets only one process open a file for writing).  With
``--data DIR`` the DuckDB file is opened read-only in this process; detectors
then print their findings without storing them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from genlens.errors import BadRequest, StoreError
from genlens.query.cost import check_range
from genlens.reports import render
from genlens.store.queries import CostQuery
from genlens.timeparse import parse_time

WHERE_HELP = ("--server URL asks a running genlens server (use it while one runs: DuckDB allows one writer "
              "per file); --data DIR opens that directory's DuckDB file read-only (default: GENLENS_DATA or the "
              "per-user data directory)")


def _common(parser: argparse.ArgumentParser, since: str) -> None:
    parser.add_argument("--since", default=since, help=f"start: a duration ago (7d) or ISO-8601 (default {since})")
    parser.add_argument("--until", help="end: a duration ago or ISO-8601 (default: now)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--server", metavar="URL", help=WHERE_HELP)
    where.add_argument("--data", metavar="DIR", help="data directory to read (read-only); see --server")
    parser.add_argument("--prices", metavar="FILE",
                        help="with --data: the price file the server uses (cache savings are priced with it)")
    parser.add_argument("--config", metavar="FILE",
                        help="with --data: the server's settings file (its prices, detectors and alert rules apply; "
                             "default: GENLENS_CONFIG)")
    parser.add_argument("--tenant", help="tenant scope; '*' = every tenant (report default: *, detect: all)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the server (default 60)")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    report = subparsers.add_parser("report", help="reports over stored spans (genlens report cost)")
    report_sub = report.add_subparsers(dest="report", metavar="REPORT", required=True)
    cost = report_sub.add_parser("cost", help="total cost; per feature, (feature, prompt sha), tenant; cache hits",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    _common(cost, "7d")
    cost.add_argument("--format", choices=("markdown", "json", "csv"), default="markdown")
    cost.set_defaults(func=run_report)

    detect = subparsers.add_parser("detect", help="what the detectors would have raised, and when (all, errors, latency, …, cost)")
    detect_sub = detect.add_subparsers(dest="detector", metavar="DETECTOR", required=True)
    dcost = detect_sub.add_parser("cost", help="prompt-cost regressions, cache-hit drops, spend anomalies, "
                                  "token budgets, runaway conversations",
                                  description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    _common(dcost, "14d")
    dcost.add_argument("--format", choices=("text", "md", "json"), default="text")
    dcost.set_defaults(func=run_detect)
    for family, what in FAMILY_HELP.items():
        sub = detect_sub.add_parser(family, help=what, description=__doc__,
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
        _common(sub, "1d")
        sub.add_argument("--step", help="evaluation step (default: the alerts.step setting, 1m)")
        sub.add_argument("--format", choices=("md", "text", "json"), default="md")
        sub.set_defaults(func=run_alert_detect, family=family)


FAMILY_HELP = {
    "errors": "error bursts per provider and model (LLMErrorBurst) and error-rate rules: what would have fired",
    "latency": "TTFT and latency spikes per model against the same hour of earlier days, latency rules",
    "refusals": "refusal spikes per feature (finish reason content_filter) and refusal-rate rules",
    "spend": "spend spikes per feature against the same hour of earlier days, spend over $50/h, spend rules",
    "rules": "the other alert rules of the alerts.rules settings (cache-hit rate, tokens, calls)",
    "all": "every detector and rule, and the cost detectors' findings",
}


def _range(args: argparse.Namespace) -> tuple[int, int]:
    now = time.time_ns()
    start = parse_time(args.since, now) if args.since else None
    end = parse_time(args.until, now) if args.until else None
    return check_range(start, end, now)


def _get(args: argparse.Namespace, method: str, path: str, params: dict[str, Any]) -> Any:
    from genlens.remote import call

    return call(method, args.server.rstrip("/") + path, params=params, timeout=args.timeout)


def _open_store(args: argparse.Namespace) -> Any:
    from genlens.settings import resolve
    from genlens.store.duckdb import DuckDBStore

    settings = resolve({"data": args.data, "prices": args.prices},
                       config_file=Path(args.config) if args.config else None)
    try:
        return DuckDBStore(settings.db_path, read_only=True), settings
    except StoreError as exc:
        raise StoreError(f"{exc}. If a genlens server is running on it, use --server URL instead") from exc


def run_report(args: argparse.Namespace) -> int:
    start, end = _range(args)
    tenant = args.tenant or "*"
    if args.server:
        data = _get(args, "GET", "/api/v1/cost/report", {"start": start, "end": end, "tenant": tenant})
    else:
        from genlens.query.cost_views import report

        store, settings = _open_store(args)
        try:
            data = report(store, settings.prices.load_book(), CostQuery(tenant, start, end))
        finally:
            store.close()
    out = {"markdown": render.markdown, "json": render.as_json, "csv": render.as_csv}[args.format](data)
    sys.stdout.write(out)
    return 0


def run_detect(args: argparse.Namespace) -> int:
    start, end = _range(args)
    if args.server:
        findings = _get(args, "POST", "/api/v1/cost/detect", {"start": start, "end": end})["findings"]
    else:
        from genlens.analysis.cost_job import run_detectors, thresholds_from

        store, settings = _open_store(args)
        try:
            findings = run_detectors(store, start, end, thresholds_from(settings))
        finally:
            store.close()
    if args.tenant and args.tenant != "*":
        findings = [f for f in findings if f["tenant"] == args.tenant]
    sys.stdout.write(render.as_json({"findings": findings}) if args.format == "json"
                     else render.findings_text(findings))
    return 0


def _cost_findings(args: argparse.Namespace, start: int, end: int, store: Any, settings: Any) -> list[dict[str, Any]]:
    if args.server:
        found: list[dict[str, Any]] = _get(args, "POST", "/api/v1/cost/detect",
                                           {"start": start, "end": end, "save": "false"})["findings"]
    else:
        from genlens.analysis.cost_job import run_detectors, thresholds_from

        found = run_detectors(store, start, end, thresholds_from(settings))
    return [f for f in found if not args.tenant or args.tenant == "*" or f["tenant"] == args.tenant]


def run_alert_detect(args: argparse.Namespace) -> int:
    """Replay the detectors and rules of one family (or all) over the range: what would have fired, and when."""
    from genlens.timeparse import parse_duration

    start, end = _range(args)
    tenant = args.tenant or "*"
    store = settings = None
    if args.server:
        data = _get(args, "GET", f"/api/v1/detect/{args.family}",
                    {"start": start, "end": end, "step": args.step, "tenant": tenant})
        episodes = data["episodes"]
    else:
        from genlens.alerts.evaluation import detect

        store, settings = _open_store(args)
        step = parse_duration(args.step) if args.step else settings.alerts.step_ns
        try:
            episodes = detect(store, settings.alerts.load_rules(), args.family, start, end, step, tenant)
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc
    try:
        findings = _cost_findings(args, start, end, store, settings) if args.family == "all" else None
    finally:
        if store is not None:
            store.close()
    if args.format == "json":
        body: dict[str, Any] = {"family": args.family, "start_ns": start, "end_ns": end, "episodes": episodes}
        if findings is not None:
            body["findings"] = findings
        sys.stdout.write(render.as_json(body))
        return 0
    sys.stdout.write(render.episodes_markdown(episodes, start, end, f"genlens detect {args.family}"))
    if findings is not None:
        sys.stdout.write("\n## Cost findings\n\n" + render.findings_text(findings))
    return 0
