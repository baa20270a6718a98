"""Sustained OTLP/HTTP ingest rate of realistic LLM spans, with the server's peak RSS.

A fresh ``genlens serve`` runs as its own process; this process sends pre-encoded
OTLP/HTTP protobuf batches of 512 spans from several client threads, as fast as the
server acknowledges them (an acknowledgement means committed).  Reported: median
spans/s over repeated runs, the server's peak RSS, and — as the baseline measured in
the same run — how fast protobuf alone parses the same batches on one core.

    python bench/ingest.py [--runs 3] [--seconds 15] [--clients 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.workload import batches  # noqa: E402
from tests.conftest import start_server  # noqa: E402

HEADERS = {"Content-Type": "application/x-protobuf"}


def parse_baseline(payloads: list[bytes]) -> float:
    t0 = time.perf_counter()
    spans = 0
    for body in payloads:
        request = ExportTraceServiceRequest.FromString(body)
        spans += sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
    return spans / (time.perf_counter() - t0)


def one_run(payloads: list[bytes], seconds: float, clients: int, env: dict[str, str] | None = None,
            during: Callable[[str, threading.Event], None] | None = None) -> tuple[float, float, int, float]:
    """One fresh server under load: (acknowledged spans/s, peak RSS MiB, exports refused, server CPU µs per span).

    CPU time (the server and its ingest workers, user + system) is less disturbed than the rate when
    the machine's cores are shared with other guests.

    ``env`` adds settings; ``during(url, stop)``, when given, runs on its own thread for the whole run
    (a scraper, for instance) until ``stop`` is set.
    """
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), extra_env={"GENLENS_LOG_LEVEL": "warning", **(env or {})})
        proc = psutil.Process(server.process.pid)
        peak_rss = 0
        acked = 0
        refused = 0
        lock = threading.Lock()
        stop = threading.Event()

        def client(offset: int) -> None:
            nonlocal acked, refused
            with httpx.Client(timeout=60) as http:
                i = offset
                while not stop.is_set():
                    body = payloads[i % len(payloads)]
                    i += clients
                    response = http.post(f"{server.url}/v1/traces", content=body, headers=HEADERS)
                    with lock:
                        if response.status_code == 200:
                            acked += 512
                        else:
                            refused += 1

        threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
        if during is not None:
            threads.append(threading.Thread(target=during, args=(server.url, stop)))
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        warm_until = t0 + 2
        start_count, start_time = 0, t0
        start_cpu = 0.0
        while time.perf_counter() < t0 + seconds + 2:
            time.sleep(0.2)
            family = [proc, *proc.children(recursive=True)]
            peak_rss = max(peak_rss, sum(p.memory_info().rss for p in family if p.is_running()))
            if start_count == 0 and time.perf_counter() >= warm_until:
                with lock:
                    start_count, start_time = acked, time.perf_counter()
                start_cpu = _cpu_seconds(proc)
        with lock:
            end_count, end_time = acked, time.perf_counter()
        end_cpu = _cpu_seconds(proc)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        server.stop()
        rate = (end_count - start_count) / (end_time - start_time)
        cpu_us = (end_cpu - start_cpu) / max(1, end_count - start_count) * 1e6
        return rate, peak_rss / 2**20, refused, cpu_us


def _cpu_seconds(proc: psutil.Process) -> float:
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            times = p.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    payloads = batches(200)
    baseline = statistics.median(parse_baseline(payloads) for _ in range(3))
    rates, rss = [], []
    for run in range(args.runs):
        rate, peak, refused, _cpu = one_run(payloads, args.seconds, args.clients)
        rates.append(rate)
        rss.append(peak)
        print(f"run {run + 1}: {rate:,.0f} spans/s, server peak RSS (with its workers) {peak:,.0f} MiB, {refused} refused (503)")
    median = statistics.median(rates)
    print(f"ingest: median {median:,.0f} spans/s over {args.runs} runs of {args.seconds:.0f}s "
          f"(batches of 512, {args.clients} clients); peak RSS {max(rss):,.0f} MiB")
    print(f"baseline: protobuf parse alone {baseline:,.0f} spans/s on one core; "
          f"ingest/parse ratio {median / baseline:.3f}")


if __name__ == "__main__":
    main()
