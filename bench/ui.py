"""Web UI: server-side render time of every page with 1,000,000 spans stored, and the time a
20,000-span trace takes to open in a real browser.

Uses the data set of bench/query.py (``.bench/query-1000000``, built through the
real ingest pipeline if missing).  A ``genlens serve`` process answers; each page
is requested ``--repeat`` times after one warm-up request and the median (and
max) wall time of the full HTML response is reported.  The browser figure is
headless Debian Chromium (Playwright), from navigation start until the
waterfall has drawn, median of ``--opens`` loads.

    python bench/ui.py [--spans 1000000] [--repeat 9] [--opens 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.query import ROOT, TENANT, fill  # noqa: E402
from tests.conftest import start_server  # noqa: E402
from tests.ui.browser import launch  # noqa: E402


def timed(client: httpx.Client, path: str, server: psutil.Process) -> tuple[float, float, int]:
    """Wall ms of the whole response, and the server's CPU ms for it (all its threads): the wall time
    grows when other work shares the machine, the CPU time much less."""
    c0 = sum(server.cpu_times()[:2])
    t0 = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - t0) * 1000
    cpu = (sum(server.cpu_times()[:2]) - c0) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}: {response.text[:300]}")
    return elapsed, cpu, len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--opens", type=int, default=5)
    args = parser.parse_args()
    data = ROOT / f"query-{args.spans}"
    big_id = fill(data, args.spans)
    server = start_server(data, extra_env={"GENLENS_LOG_LEVEL": "warning"})
    try:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            found = client.get("/traces", params={"format": "json", "range": "30d", "limit": "25",
                                                  "tenant": TENANT}).json()["rows"]
            small = next(t["trace_id"] for t in found if t["trace_id"] != big_id)
            rows = client.get(f"/traces/{small}", params={"format": "json"}).json()["waterfall"]["rows"]
            llm_span = next(r[0] for r in rows if r[5] == "llm")
            conv = client.get("/conversations", params={"format": "json", "range": "7d"}).json()["rows"][0]
            pages = {
                "overview, last 24h": "/overview",
                "overview, last 7 days": "/overview?range=7d",
                "overview, 7 days, feature filter": "/overview?range=7d&feature=feature-3",
                "traces, last 24h": "/traces",
                "traces, 7 days, by duration": "/traces?range=7d&sort=duration",
                "traces, 7 days, text + kind": "/traces?range=7d&q=summarize&kind=llm",
                "conversations, 7 days": "/conversations?range=7d",
                "one conversation": f"/conversations/{conv['conversation_id']}?tenant={conv['tenant']}",
                "cost, 7 days": "/cost?range=7d",
                f"trace ({len(rows)} spans)": f"/traces/{small}",
                f"trace ({len(rows)} spans) + span panel": f"/traces/{small}?span={llm_span}",
                "trace (20,000 spans)": f"/traces/{big_id}",
            }
            results = {}
            proc = psutil.Process(server.process.pid)
            load_before = os.getloadavg()[0]
            for name, path in pages.items():
                timed(client, path, proc)  # warm-up
                runs = [timed(client, path, proc) for _ in range(args.repeat)]
                results[name] = ([r[0] for r in runs], [r[1] for r in runs], runs[0][2])
            load_after = os.getloadavg()[0]
        with launch() as browser:
            ctx = browser.new_context(viewport={"width": 1920, "height": 1080})
            page = ctx.new_page()
            opens = []
            for _ in range(args.opens + 1):
                page.goto(f"{server.url}/traces/{big_id}", wait_until="load")
                page.wait_for_function("window.__waterfall !== undefined")
                opens.append(page.evaluate("window.__waterfall.readyAt"))
                rows_in_dom = page.locator(".wf-row").count()
            ctx.close()
        opens = opens[1:]  # the first load warms the browser's cache of plotly-free static files
    finally:
        server.stop()
    print(f"spans stored: {args.spans:,}; {args.repeat} requests per page after a warm-up; "
          f"{os.cpu_count()} CPUs, 1-min load average {load_before:.1f} before, {load_after:.1f} after")
    print(f"{'page':44s} {'wall p50':>9s} {'wall max':>9s} {'CPU p50':>9s} {'size':>8s}")
    for name, (values, cpu, size) in results.items():
        print(f"{name:44s} {statistics.median(values):7.0f}ms {max(values):7.0f}ms {statistics.median(cpu):7.0f}ms "
              f"{size / 1024:6.0f}KB")
    print(f"20,000-span trace opened in headless Chromium (navigation start → waterfall drawn): "
          f"median {statistics.median(opens):.0f} ms, max {max(opens):.0f} ms over {len(opens)} loads; "
          f"{rows_in_dom} rows in the DOM")


if __name__ == "__main__":
    main()
