"""One demo run: start the server and the simulator, drive the app, shut everything down cleanly.

Order matters on the way out: stop making requests, wait (bounded) for the
ones in flight, flush the SDK so every span is committed, then stop the
simulator and the server by PID.  A Ctrl-C or SIGTERM only sets a flag the
loops watch, so the same orderly path runs whatever ends the demo.
"""

from __future__ import annotations

import json
import random
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from genlens.demo.scenarios import NS, Planted, Scenario, plant

BACKFILL_LATENCY_SCALE = 0.05  # backfilled calls run 20x faster than live ones (durations kept as measured)
READY_LINE = "genlens demo: first traces stored"


@dataclass(frozen=True)
class DemoOptions:
    host: str
    port: int
    data: Path
    duration_s: float | None  # None = until Ctrl-C
    rate: float
    backfill_ns: int  # 0 = none
    backfill_per_hour: float
    scenario: Scenario | None
    seed: int
    latency_scale: float


class Console:
    """Friendly output: a banner, one progress line (rewritten in place on a terminal), a summary."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self._n = 0
        self._dirty = False

    def line(self, text: str = "") -> None:
        if self._dirty:
            self.out.write("\n")
            self._dirty = False
        self.out.write(text + "\n")
        self.out.flush()

    def progress(self, text: str) -> None:
        self._n += 1
        if self.tty:
            self.out.write("\r" + text.ljust(100)[:140])
            self._dirty = True
            self.out.flush()
        elif self._n % 5 == 1:
            self.line(text)


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:d}:{s // 60 % 60:02d}:{s % 60:02d}"


def run_demo(opts: DemoOptions, out: TextIO | None = None) -> int:
    from genlens.demo import processes
    from genlens.demo.traffic import backfill_times

    processes.check_port_free(opts.host, opts.port)
    console = Console(out or sys.stdout)
    opts.data.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    previous = _install_signals(stop, console)
    server = simulator = None
    try:
        console.line(f"genlens demo: starting the server and the simulated LLM provider (data in {opts.data}) ...")
        server = processes.spawn_server(opts.host, opts.port, opts.data)
        first_scale = BACKFILL_LATENCY_SCALE if opts.backfill_ns else opts.latency_scale
        simulator, sim_log_offset = processes.spawn_simulator(opts.data, first_scale, opts.seed)
        import genlens.demo.driver  # noqa: F401 - the heavy imports (SDK, provider clients) while they start
        processes.wait_server(server, opts.host, opts.port)
        sim_url = processes.wait_simulator(simulator, sim_log_offset)
        base = f"http://{processes._url_host(opts.host)}:{opts.port}"
        console.line("")
        console.line(f"  UI        {base}/")
        console.line(f"  REST API  {base}/api/v1/traces   (OpenAPI: {base}/docs)")
        console.line(f"  OTLP      {base}/v1/traces")
        console.line(f"  SLOs      {base}/slos   alerts {base}/alerts   Prometheus metrics {base}/metrics")
        console.line(f"  provider  {sim_url}   (simulated OpenAI + Anthropic)")
        console.line(f"  logs      {server.log_path}, {simulator.log_path}")
        console.line(f"  processes server pid {server.pid}, simulator pid {simulator.pid}")
        console.line("")
        return _drive(opts, console, stop, base, sim_url, backfill_times)
    finally:
        for child in (simulator, server):  # the server last: it drains its write queue on SIGTERM
            if child is not None:
                status = child.stop()
                if status not in (0, -signal.SIGTERM, None):
                    console.line(f"genlens demo: {child.name} (pid {child.pid}) exited with status {status}; "
                                 f"see {child.log_path}")
        _restore_signals(previous)
        console.line("genlens demo: stopped (server and simulator shut down).")


def _drive(opts: DemoOptions, console: Console, stop: threading.Event, base: str, sim_url: str,
           backfill_times: Any) -> int:
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider

    import genlens
    from genlens.demo.app import DemoApp
    from genlens.demo.driver import Driver, Faults
    from genlens.demo.timeshift import ShiftingExporter, ShiftRecorder
    from genlens.demo.traffic import Traffic

    recorder = ShiftRecorder()
    exporter = ShiftingExporter(OTLPSpanExporter(endpoint=base + "/v1/traces", timeout=30), recorder)
    genlens.init("support-assistant", span_exporter=exporter, endpoint=base, environment="demo",
                 service_version="1.4.2", capture_content=True, max_queue_size=100_000, schedule_delay_s=0.5,
                 metric_interval_s=10)
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.add_span_processor(recorder)
    app = DemoApp(sim_url)
    faults = Faults(sim_url)
    started = time.monotonic()
    planted: Planted | None = None
    now = time.time_ns()
    bf_start = now - opts.backfill_ns if opts.backfill_ns else None
    bf_end = now - 60 * NS if opts.backfill_ns else None
    if opts.scenario is not None:
        planted = plant(opts.scenario, backfill_start_ns=bf_start, backfill_end_ns=bf_end,
                        live_start_ns=now, live_duration_s=opts.duration_s)
        planted.shas = {k: p.sha for k, p in app.support.items()}
        _write_truth(planted, opts.data, console)
    live_workers = max(8, min(64, int(opts.rate * 8)))
    driver = Driver(app, Traffic(opts.seed), faults, planted, live_workers if not opts.backfill_ns else 12, stop)
    ready = False

    def status(prefix: str) -> str:
        s = driver.stats
        return (f"{prefix}  requests {s.requests}  ok {s.ok}  errors {s.errors}  spans {exporter.exported}"
                f"  spend ${recorder.cost_usd:,.4f}")

    try:
        if opts.backfill_ns and bf_start is not None and bf_end is not None:
            times = [(t, False) for t in backfill_times(bf_start, bf_end, opts.backfill_per_hour, opts.seed)]
            if planted is not None and planted.mode == "backfill":
                times = sorted(times + [(t, True) for t in planted.runaway_times()])
            console.line(f"genlens demo: backfilling {len(times)} requests over the last "
                         f"{opts.backfill_ns / NS / 3600:g} h ...")
            t0 = time.monotonic()

            def bf_progress(i: int, n: int, t_ns: int) -> None:
                if i % 10 == 0 or i == n:
                    day = time.strftime("%a %H:%M", time.gmtime(t_ns / NS))
                    console.progress(status(f"  backfill {i}/{n} ({100 * i // max(n, 1)}%) at {day} UTC |"))

            driver.run_backfill(times, bf_progress)
            genlens.force_flush(60)
            what = "interrupted after" if stop.is_set() else "done in"
            console.line(f"genlens demo: backfill {what} {time.monotonic() - t0:.0f} s "
                         f"({driver.stats.ok} ok, {driver.stats.errors} failed, of {len(times)}).")
            if driver.stats.ok:
                console.line(f"{READY_LINE}; open {base}/")
                ready = True
            faults.set_latency_scale(opts.latency_scale)
        driver.workers = live_workers
        if opts.duration_s != 0 and not stop.is_set():
            console.line(f"genlens demo: sending about {opts.rate:g} requests/s "
                         f"{'for ' + _clock(opts.duration_s) if opts.duration_s else 'until Ctrl-C'} ...")
            rng = random.Random(opts.seed + 1)
            live_start = time.monotonic()

            def tick() -> None:
                nonlocal ready
                if not ready and driver.stats.ok:
                    genlens.force_flush(30)
                    console.line(f"{READY_LINE}; open {base}/")
                    ready = True
                console.progress(status(f"  {_clock(time.monotonic() - live_start)} |"))

            runaway = planted.runaway_times() if planted is not None and planted.mode == "live" else []
            deadline = live_start + opts.duration_s if opts.duration_s else None
            driver.run_live(opts.rate, deadline, runaway, tick, 1.0, rng.random)
    finally:
        console.line("genlens demo: stopping: waiting for requests in flight, then flushing spans ...")
        driver.close(60)
        genlens.shutdown(timeout_s=30)
        app.close()
        faults.close()
    s = driver.stats
    console.line(status(f"genlens demo: done after {_clock(time.monotonic() - started)} |")
                 + (f"  skipped {s.skipped} (busy)" if s.skipped else ""))
    if s.error_types:
        console.line("  failed requests by error: " + ", ".join(f"{k} {v}" for k, v in s.error_types.most_common()))
    if exporter.failed_batches:
        console.line(f"  warning: {exporter.failed_batches} span export batches failed")
    if planted is not None:
        console.line(f"  scenario ground truth: {opts.data / f'scenario-{planted.scenario.name}.json'}")
    return 0


def _write_truth(planted: Planted, data: Path, console: Console) -> None:
    truth = planted.ground_truth()
    path = data / f"scenario-{planted.scenario.name}.json"
    path.write_text(json.dumps(truth, indent=2) + "\n")
    console.line(f"genlens demo: scenario {planted.scenario.name!r} planted {planted.mode} "
                 f"from {truth['start']} to {truth['end']}; ground truth in {path}:")
    console.line(json.dumps(truth, indent=2))


def _install_signals(stop: threading.Event, console: Console) -> dict[int, Any]:
    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            console.line("genlens demo: already stopping (every wait is bounded) ...")
        stop.set()

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, handler)
    return previous


def _restore_signals(previous: dict[int, Any]) -> None:
    for sig, old in previous.items():
        signal.signal(sig, old)
