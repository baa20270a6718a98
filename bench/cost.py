"""Cost queries over 10,000,000 stored spans: cost by feature for 7 days, and the five-table report.

The data set is generated once, vectorized with numpy into Arrow tables (the
per-span Python pipeline would take hours at this size), written in time order
into ``.bench/cost-10m-<days>d/genlens.duckdb`` through the store's own schema,
and reused.  Every span belongs to one tenant.  With ``--days 7`` (the default)
every span lies inside the 7-day window, so the timed queries scan all 10M rows
(the worst case); with a longer history, DuckDB's zone maps on ``start_ns`` let
the same query skip the row groups outside the window.

Two stages, both timed as medians of repeated runs:

1. In this process, read-only, before any server opens the file: the store's
   cost query and the report, each run alternated with the baseline
   ``sum(cost_usd)`` over the same tenant and range (a one-column scan), so both
   see the same machine load.
2. Through a ``genlens serve`` process from this process (REST) and from a new
   ``genlens report cost --server`` process; baseline ``GET /healthz``.

    python bench/cost.py [--spans 10000000] [--days 7] [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import duckdb
import httpx
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from genlens.pricing import PriceBook  # noqa: E402
from genlens.query.cost_views import cost_table, report  # noqa: E402
from genlens.store.duckdb import DuckDBStore  # noqa: E402
from genlens.store.queries import CostQuery  # noqa: E402
from genlens.store.schema import SPANS  # noqa: E402
from tests.conftest import start_server  # noqa: E402

BENCH = Path(__file__).resolve().parent.parent / ".bench"
DAY = 86_400 * 10**9
END = 1_793_059_200 * 10**9  # 2026-10-26 00:00 UTC
START = END - 7 * DAY
TENANT = "default"
FEATURES = np.array(["chat", "search", "summarize", "extract", "classify", "translate", "agent-plan", "rerank",
                     "moderate", "title"])
MODELS = np.array(["gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "claude-sonnet-4-20250514", "llama-prod"])
PROVIDERS = np.array(["openai", "openai", "anthropic", "self-hosted"])
KINDS = np.array(["llm", "llm", "llm", "llm", "llm", "llm", "tool", "agent"])


def _ids(values: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pa.array(values).cast(pa.string()), width, "0")


def chunk(rng: np.random.Generator, first: int, n: int, t0: int, t1: int) -> pa.Table:
    """``n`` spans with start times evenly spread over [t0, t1), already in time order."""
    idx = np.arange(first, first + n, dtype=np.int64)
    start = t0 + (np.arange(n, dtype=np.int64) * ((t1 - t0) // n))
    kind = KINDS[rng.integers(0, len(KINDS), n)]
    llm = kind == "llm"
    model_i = rng.integers(0, len(MODELS), n)
    inp = rng.integers(200, 6000, n)
    cache = (inp * rng.uniform(0, 0.8, n)).astype(np.int64) * (rng.random(n) < 0.6)
    out = rng.integers(20, 900, n)
    cost = (inp - cache) * 2.5e-6 + cache * 1.25e-6 + out * 1e-5
    unknown = rng.random(n) < 0.01
    columns = {
        "tenant": pa.array(np.full(n, TENANT)), "trace_id": _ids(idx // 6, 32), "span_id": _ids(idx, 16),
        "name": pa.array(np.where(llm, "chat", "step")), "kind": pa.array(kind), "start_ns": pa.array(start),
        "end_ns": pa.array(start + 10**9), "duration_ns": pa.array(np.full(n, 10**9)),
        "status": pa.array(np.full(n, "ok")), "service_name": pa.array(np.full(n, "support-bot")),
        "service_version": pa.array(np.where(rng.random(n) < 0.5, "1.4.2", "1.5.0")),
        "environment": pa.array(np.full(n, "prod")),
        "provider": pa.array(PROVIDERS[model_i], mask=~llm), "request_model": pa.array(MODELS[model_i], mask=~llm),
        "response_model": pa.array(MODELS[model_i], mask=~llm),
        "input_tokens": pa.array(inp, mask=~llm), "output_tokens": pa.array(out, mask=~llm),
        "cache_read_tokens": pa.array(cache, mask=~llm), "cache_write_tokens": pa.array(np.zeros(n, np.int64), mask=~llm),
        "reasoning_tokens": pa.array(np.zeros(n, np.int64), mask=~llm), "total_tokens": pa.array(inp + out, mask=~llm),
        "cost_usd": pa.array(cost, mask=~llm | unknown),
        "cost_source": pa.array(np.where(unknown, "unknown", "computed"), mask=~llm),
        "feature": pa.array(FEATURES[rng.zipf(1.6, n) % len(FEATURES)]),
        "prompt_sha": pa.array(np.char.add("sha-", (rng.integers(0, 40, n)).astype(str))),
        "experiment_variant": pa.array(np.where(rng.random(n) < 0.5, "a", "b")),
        "conversation_id": _ids(idx // 12 % 400_000, 12), "user_id": _ids(rng.integers(0, 50_000, n), 8),
    }
    return pa.table(columns)


def fill(root: Path, n_spans: int, days: int) -> Path:
    db = root / "genlens.duckdb"
    marker = root / f"filled-{n_spans}-summarised"
    if marker.exists():
        return db
    root.mkdir(parents=True, exist_ok=True)
    first_ns = END - days * DAY
    for old in [*root.glob("filled-*"), db, db.with_name(db.name + ".wal")]:
        old.unlink(missing_ok=True)
    DuckDBStore(db).close()  # schema and migrations, exactly as the server creates them
    con = duckdb.connect(str(db))
    rng = np.random.default_rng(5)
    step = 1_000_000
    t0 = time.perf_counter()
    for first in range(0, n_spans, step):
        n = min(step, n_spans - first)
        lo = first_ns + (END - first_ns) * first // n_spans
        hi = first_ns + (END - first_ns) * (first + n) // n_spans
        table = chunk(rng, first, n, lo, hi)
        con.register("incoming", table)
        cols = ", ".join(f'"{c}"' for c in table.column_names)
        con.execute(f"INSERT INTO spans ({cols}) SELECT {cols} FROM incoming")
        con.unregister("incoming")
        print(f"  {first + n:,} spans written ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    con.execute("CHECKPOINT")
    con.close()
    t1 = time.perf_counter()
    store = DuckDBStore(db)  # the spans went around the writer: derive the summaries as `genlens store rebuild` does
    store.rebuild_summaries()
    store.close()
    print(f"  summaries rebuilt ({time.perf_counter() - t1:.0f} s)", file=sys.stderr)
    marker.write_text("ok\n")
    assert set(SPANS.column_names) >= set(table.column_names)
    return db


def timed(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    fn()  # warm
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def alternated(fn, baseline, repeat: int) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """Time ``fn`` and ``baseline`` one after the other, ``repeat`` times each: both see the same load."""
    fn()
    baseline()
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeat):
        a += timed(fn, 1)[-1:]
        b += timed(baseline, 1)[-1:]
    return a, b


def summary(name: str, ms: list[float]) -> str:
    p95 = sorted(ms)[max(0, int(len(ms) * 0.95) - 1)]
    return f"| {name} | {statistics.median(ms):,.1f} | {p95:,.1f} | {min(ms):,.1f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spans", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=7, help="history the spans are spread over (>= 7)")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    root = BENCH / f"cost-{args.spans // 1_000_000}m-{args.days}d"
    db = fill(root, args.spans, max(7, args.days))

    rows: list[str] = []
    store = DuckDBStore(db, read_only=True)
    stored = store._query("SELECT count(*) AS n FROM spans", [])[0]["n"]
    in_window = store._query("SELECT count(*) AS n FROM spans WHERE start_ns >= ? AND start_ns < ?",
                             [START, END])[0]["n"]
    scan_sql = "SELECT sum(cost_usd) AS s FROM spans WHERE tenant = ? AND start_ns >= ? AND start_ns < ?"
    book = PriceBook.load(None)
    q = CostQuery(TENANT, START, END)

    def base() -> None:
        store._query(scan_sql, [TENANT, START, END])

    feature_ms, base1 = alternated(lambda: cost_table(store, replace(q, group_by=("feature",))), base, args.repeat)
    report_ms, base2 = alternated(lambda: report(store, book, q), base, args.repeat)
    store.close()
    rows.append(summary("in-process baseline: `sum(cost_usd)` same tenant and range", base1 + base2))
    rows.append(summary("in-process: cost by feature, 7 days", feature_ms))
    rows.append(summary("in-process: five-table report", report_ms))

    server = start_server(root, extra_env={"GENLENS_COST_DETECT_INTERVAL_S": "0"})
    try:
        client = httpx.Client(base_url=server.url, timeout=120)
        window = {"start": str(START), "end": str(END)}

        def by_feature() -> None:
            r = client.get("/api/v1/cost", params={"group_by": "feature", **window})
            assert r.status_code == 200 and r.json()["total"]["calls"] > 0, r.text

        def rest_report() -> None:
            r = client.get("/api/v1/cost/report", params={**window, "tenant": TENANT})
            assert r.status_code == 200 and len(r.json()["by_feature"]) == len(FEATURES), r.text

        def cli_report() -> None:
            done = subprocess.run([sys.executable, "-m", "genlens", "report", "cost", "--server", server.url,
                                   "--since", str(START), "--until", str(END), "--tenant", TENANT],
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0 and done.stdout.count("\n## ") == 5, done.stderr

        rows.append(summary("REST baseline: `GET /healthz`", timed(lambda: client.get("/healthz"), args.repeat)))
        rows.append(summary("REST: cost by feature, 7 days (`GET /api/v1/cost?group_by=feature`)",
                            timed(by_feature, args.repeat)))
        rows.append(summary("REST: five-table report (`GET /api/v1/cost/report`)", timed(rest_report, args.repeat)))
        def cli_startup() -> None:
            done = subprocess.run([sys.executable, "-m", "genlens", "report", "cost", "--help"],
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr

        cli_runs = max(3, args.repeat // 3)
        rows.append(summary("CLI baseline: `genlens report cost --help` (process start-up only)",
                            timed(cli_startup, cli_runs)))
        rows.append(summary("`genlens report cost --server` (new process, Markdown)", timed(cli_report, cli_runs)))
    finally:
        server.stop()
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"{stored:,} spans stored over {max(7, args.days)} days ({in_window:,} in the 7-day window), one tenant; "
          f"{args.repeat} timed runs each; load average at the end {' '.join(load)} on {os.cpu_count()} cores\n")
    print("| query | median ms | p95 ms | min ms |\n|---|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
