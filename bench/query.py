"""Trace-by-id and trace-search latency over HTTP with 1,000,000 spans stored.

The data set (realistic agent traces from bench/workload.py over 7 days, plus one
trace of 20,000 spans) is written once through the real ingest pipeline into
``.bench/query-1000000`` and reused.  Traces arrive in time order, as in
production; ``--shuffled`` stores them in random time order instead (the worst
case for DuckDB's time-range pruning), in ``.bench/query-1000000-shuffled``.  A ``genlens serve`` process then answers this
process's requests; reported are medians (p50) and p95 of repeated requests, with
``/healthz`` latency in the same run as the baseline.

    python bench/query.py [--spans 1000000] [--requests 200] [--shuffled]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.workload import batches, export_request, trace_spans  # noqa: E402
from genlens.pipeline.ingest import Ingestor  # noqa: E402
from genlens.server.runtime import build  # noqa: E402
from genlens.settings import resolve  # noqa: E402
from tests.conftest import start_server  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent / ".bench"
TENANT = "default"  # one tenant holds every span: the worst case for a tenant-scoped query


def big_trace(n: int) -> tuple[bytes, str]:
    r = random.Random(99)
    start = time.time_ns() - 3600 * 10**9
    spans = []
    while len(spans) < n:
        spans.extend(trace_spans(r, start, tools=40))
    trace_id = spans[0]["trace_id"]
    for s in spans:
        s["trace_id"] = trace_id
        s["attributes"]["app.llm.tenant.id"] = TENANT
    return export_request(spans[:n]).SerializeToString(), trace_id.hex()


def fill(data: Path, n_spans: int, in_time_order: bool = True) -> str:
    """Write the data set through the ingest pipeline (no HTTP), return the big trace's id."""
    marker = data / f"filled-{n_spans}"
    if marker.exists():
        return marker.read_text().strip()
    settings = resolve({"data": str(data)})
    parts = build(settings)
    ingestor: Ingestor = parts.ingestor

    t0 = time.perf_counter()
    # in time order, as spans reach a server in production (so a trace's spans share few row groups)
    payloads = batches((n_spans - 20_000) // 512, seed=11, spread_ns=7 * 86400 * 10**9, tenant=TENANT,
                       in_time_order=in_time_order)
    for i, body in enumerate(payloads):
        prepared = ingestor.prepare("traces", body)
        parts.store.write(prepared.batch)
        if i % 200 == 0:
            print(f"  filled {i * 512:,} spans ({time.perf_counter() - t0:.0f}s)", flush=True)
    body, big_id = big_trace(20_000)
    parts.store.write(ingestor.prepare("traces", body).batch)
    parts.close()
    marker.write_text(big_id)
    return big_id


def timed(client: httpx.Client, url: str, params: dict[str, str] | None = None) -> float:
    t0 = time.perf_counter()
    response = client.get(url, params=params)
    elapsed = time.perf_counter() - t0
    response.raise_for_status()
    return elapsed * 1000


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--shuffled", action="store_true",
                        help="traces stored in random time order (a worst case for time-range pruning)")
    args = parser.parse_args()
    data = ROOT / f"query-{args.spans}{'-shuffled' if args.shuffled else ''}"
    big_id = fill(data, args.spans, in_time_order=not args.shuffled)
    server = start_server(data, extra_env={"GENLENS_LOG_LEVEL": "warning"})
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            client.params = {"tenant": TENANT}
            found = client.get("/api/v1/traces", params={"limit": "1000", "start": "30d"}).json()["traces"]
            trace_ids = [t["trace_id"] for t in found if t["trace_id"] != big_id]
            assert trace_ids, "no traces found for the benchmark tenant"
            r = random.Random(5)
            health = [timed(client, "/healthz") for _ in range(args.requests)]
            by_id = [timed(client, f"/api/v1/traces/{r.choice(trace_ids)}") for _ in range(args.requests)]
            searches = {
                "last 24h, newest 50": {"start": "24h"},
                "no filter, 7 days": {"start": "7d"},
                "feature filter": {"feature": "feature-3", "start": "7d"},
                "errors only": {"status": "error", "start": "7d"},
                "slow > 8s, by duration": {"min_duration": "8s", "sort": "duration", "start": "7d"},
                "text search": {"q": "summarize", "start": "24h"},
            }
            search_results = {name: [timed(client, "/api/v1/traces", p) for _ in range(max(10, args.requests // 10))]
                              for name, p in searches.items()}
            big = [timed(client, f"/api/v1/traces/{big_id}") for _ in range(5)]
            big_count = client.get(f"/api/v1/traces/{big_id}").json()["span_count"]
            searched = {name: len(client.get("/api/v1/traces", params=p).json()["traces"])
                        for name, p in searches.items()}
        base = statistics.median(health)
        print(f"spans stored: {args.spans:,}")
        print(f"baseline GET /healthz: p50 {base:.2f} ms")
        print(f"trace by id (~13 spans): p50 {statistics.median(by_id):.2f} ms, p95 {pct(by_id, 0.95):.2f} ms, "
              f"ratio to baseline {statistics.median(by_id) / base:.1f}x")
        for name, values in search_results.items():
            print(f"trace search [{name}] ({searched[name]} rows): p50 {statistics.median(values):.1f} ms, "
                  f"p95 {pct(values, 0.95):.1f} ms")
        print(f"{big_count:,}-span trace by id (whole tree as JSON): p50 {statistics.median(big):.0f} ms")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
