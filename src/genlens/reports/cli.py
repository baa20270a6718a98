"""``genlens report cost`` and ``genlens detect cost``: against a running server or a data directory.

With ``--server URL`` the numbers come from the REST API (the way to go while a
server runs: DuckDB lets only one process open a file for writing).  With
``--data DIR`` the DuckDB file is opened read-only in this process; detectors
then print their findings without storing them.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from genlens.errors import BadRequest, GenlensError, StoreError
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

    detect = subparsers.add_parser("detect", help="run detectors on demand (genlens detect cost)")
    detect_sub = detect.add_subparsers(dest="detector", metavar="DETECTOR", required=True)
    dcost = detect_sub.add_parser("cost", help="prompt-cost regressions, cache-hit drops, spend anomalies, "
                                  "token budgets, runaway conversations",
                                  description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    _common(dcost, "14d")
    dcost.add_argument("--format", choices=("text", "json"), default="text")
    dcost.set_defaults(func=run_detect)


def _range(args: argparse.Namespace) -> tuple[int, int]:
    now = time.time_ns()
    start = parse_time(args.since, now) if args.since else None
    end = parse_time(args.until, now) if args.until else None
    return check_range(start, end, now)


def _get(args: argparse.Namespace, method: str, path: str, params: dict[str, Any]) -> Any:
    import httpx

    url = args.server.rstrip("/") + path
    try:
        response = httpx.request(method, url, params={k: v for k, v in params.items() if v is not None},
                                 timeout=args.timeout)
    except httpx.HTTPError as exc:
        raise GenlensError(f"cannot reach genlens server at {args.server}: {exc}") from exc
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail")
        except ValueError:
            detail = response.text[:300]
        raise BadRequest(f"server answered {response.status_code}: {detail}")
    return response.json()


def _open_store(args: argparse.Namespace) -> Any:
    from genlens.settings import resolve
    from genlens.store.duckdb import DuckDBStore

    settings = resolve({"data": args.data, "prices": args.prices})
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
