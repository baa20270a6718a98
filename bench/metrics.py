"""The cost of /metrics and alerting: scrape latency with 10,000 series, and ingest with them on vs off.

Scrape: a fresh ``genlens serve`` is fed realistic agent traces until its
exposition holds at least 10,000 series (sample lines, as Prometheus counts
them); then this process scrapes it with a plain HTTP client (time to the last
byte) in three regimes: idle (nothing changed since the last scrape), under a
steady load of ~2,000 spans/s with a scrape every second, and the worst case
where every series changed since the last scrape.

Ingest: the same sustained ingest as ``bench/ingest.py``, alternating runs with
the metrics observer and alert evaluation off (the baseline, measured in the same
run) and on: with a scraper fetching ``/metrics`` every 15 s (a common Prometheus
interval) and the built-in detectors evaluated every 30 s (the default), and a
stress case with both every second (at this ingest rate nearly every series
changes between two scrapes, and every evaluation reads the last hour's calls).

    python bench/metrics.py [--runs 3] [--seconds 15] [--scrapes 30]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.ingest import one_run  # noqa: E402
from bench.workload import batches  # noqa: E402
from tests.conftest import start_server  # noqa: E402

PROTOBUF = {"Content-Type": "application/x-protobuf"}
OPENMETRICS = "application/openmetrics-text; version=1.0.0"


def _connection(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)


def scrape(conn: http.client.HTTPConnection, accept: str = "text/plain; version=0.0.4") -> tuple[float, bytes]:
    started = time.perf_counter()
    conn.request("GET", "/metrics", headers={"Accept": accept})
    body = conn.getresponse().read()
    return time.perf_counter() - started, body


def series_count(body: bytes) -> int:
    return sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))


def post(conn: http.client.HTTPConnection, body: bytes) -> None:
    conn.request("POST", "/v1/traces", body=body, headers=PROTOBUF)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"export answered {response.status}")


def widened(payloads: list[bytes], suffix: str) -> list[bytes]:
    """The same traces with every feature renamed: new label combinations in every family."""
    out = []
    for body in payloads:
        request = ExportTraceServiceRequest.FromString(body)
        for rs in request.resource_spans:
            for ss in rs.scope_spans:
                for span in ss.spans:
                    for kv in span.attributes:
                        if kv.key == "app.llm.feature":
                            kv.value.string_value += suffix
        out.append(request.SerializeToString())
    return out


def scrape_figures(scrapes: int) -> dict[str, float]:
    payloads = batches(200)
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), extra_env={"GENLENS_LOG_LEVEL": "warning"})
        try:
            conn = _connection(server.url)
            fed: list[bytes] = []
            suffix = 0
            while True:
                part = payloads if suffix == 0 else widened(payloads[:40], f"-w{suffix}")
                for body in part:
                    post(conn, body)
                fed.extend(part)
                time.sleep(1.0)
                n = series_count(scrape(conn)[1])
                if n >= 10_000:
                    break
                suffix += 1
            idle = [scrape(conn)[0] for _ in range(scrapes)]
            idle_om = [scrape(conn, OPENMETRICS)[0] for _ in range(scrapes)]
            worst = []
            for _ in range(max(3, scrapes // 10)):
                for body in fed:  # every series changes
                    post(conn, body)
                time.sleep(0.5)
                worst.append(scrape(conn)[0])
            loaded = _under_load(server.url, fed, scrapes)
            return {"series": n, "idle": statistics.median(idle), "idle_om": statistics.median(idle_om),
                    "worst": statistics.median(worst), "loaded": statistics.median(loaded)}
        finally:
            server.stop()


def _under_load(url: str, payloads: list[bytes], scrapes: int, spans_per_s: float = 2000.0) -> list[float]:
    """Scrape once a second while another connection posts ~``spans_per_s`` (batches of 512)."""
    stop = threading.Event()

    def load() -> None:
        conn = _connection(url)
        i = 0
        next_at = time.perf_counter()
        while not stop.is_set():
            post(conn, payloads[i % len(payloads)])
            i += 1
            next_at += 512 / spans_per_s
            time.sleep(max(0.0, next_at - time.perf_counter()))

    loader = threading.Thread(target=load)
    loader.start()
    conn = _connection(url)
    times = []
    try:
        time.sleep(1.0)
        for _ in range(scrapes):
            times.append(scrape(conn)[0])
            time.sleep(1.0)
    finally:
        stop.set()
        loader.join(60)
    return times


def _scraper(interval_s: float) -> Callable[[str, threading.Event], None]:
    def scrape_every(url: str, stop: threading.Event) -> None:
        conn = _connection(url)
        while not stop.wait(interval_s):
            scrape(conn)

    return scrape_every


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--scrapes", type=int, default=30)
    args = parser.parse_args()
    f = scrape_figures(args.scrapes)
    print(f"scrape of {f['series']:,} series: p50 idle {f['idle'] * 1000:.1f} ms (text), "
          f"{f['idle_om'] * 1000:.1f} ms (OpenMetrics); under ~2,000 spans/s {f['loaded'] * 1000:.1f} ms; "
          f"every series changed {f['worst'] * 1000:.1f} ms")
    payloads = batches(200)
    off = {"GENLENS_METRICS_ENABLED": "false", "GENLENS_ALERTS_INTERVAL_S": "0"}
    configs = {  # name → (server environment, scrape interval)
        "off": (off, None),
        "on: metrics scraped every 15 s, detectors every 30 s": ({}, 15.0),
        "on: metrics scraped every 1 s, detectors every 1 s": ({"GENLENS_ALERTS_INTERVAL_S": "1"}, 1.0),
    }
    names = tuple(configs)
    rates: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for run in range(args.runs):
        for name, (env, interval) in configs.items():
            rate, _rss, _refused, cpu_us = one_run(payloads, args.seconds, args.clients, env=env,
                                                   during=_scraper(interval) if interval else None)
            rates[name].append(rate)
            cpu[name].append(cpu_us)
        print(f"run {run + 1}: " + ", ".join(f"{name} {rates[name][-1]:,.0f} spans/s ({cpu[name][-1]:.1f} µs CPU/span)"
                                             for name in names))
    for name in names:
        ratios = [v / off for v, off in zip(rates[name], rates["off"], strict=True)]
        cpu_ratio = statistics.median(cpu["off"]) / statistics.median(cpu[name])
        print(f"ingest {name}: median {statistics.median(rates[name]):,.0f} spans/s, ratio to off "
              f"{statistics.median(rates[name]) / statistics.median(rates['off']):.3f} (median of per-run ratios "
              f"{statistics.median(ratios):.3f}); server CPU {statistics.median(cpu[name]):.1f} µs/span, "
              f"spans per CPU-second relative to off {cpu_ratio:.3f}")

if __name__ == "__main__":
    main()
