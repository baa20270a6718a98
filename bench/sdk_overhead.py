"""Median time genlens adds to one non-streaming OpenAI call, against three other instrumentations.

Every variant runs in its own subprocess (instrumentations patch the same
methods, so they cannot share a process).  Inside it, short blocks of
uninstrumented and instrumented calls alternate (instrument / uninstrument
between blocks), so drift of the machine hits both alike; the figure is
median(instrumented) − median(uninstrumented) per call.  A tool whose
uninstrument leaves patches behind is measured in a fresh process instead,
uninstrumented first and then instrumented once.  The provider
is an in-process ``httpx2.MockTransport`` returning a fixed chat completion, so
no network noise enters.  Spans go through each tool's normal processor to an
exporter that discards them; metrics are recorded into an in-memory reader.

Usage::

    python bench/sdk_overhead.py [--calls 100] [--rounds 40] [--repeat 3] [--only genlens openai-v2]

Needs the ``bench`` extra (``pip install -e .[bench]``) for the competitors;
missing ones are reported as such.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

VARIANTS = ("genlens", "genlens-content", "openllmetry", "openinference", "openai-v2")
LABELS = {
    "genlens": "genlens (content off)",
    "genlens-content": "genlens (content on, redaction on)",
    "openllmetry": "OpenLLMetry opentelemetry-instrumentation-openai (defaults: content on)",
    "openinference": "OpenInference openinference-instrumentation-openai (defaults: content on)",
    "openai-v2": "OTel opentelemetry-instrumentation-openai-v2 (defaults: content off)",
}
RESPONSE = {
    "id": "chatcmpl-bench", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini-2024-07-18",
    "choices": [{"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": "Your order ships Monday. Anything else?"}}],
    "usage": {"prompt_tokens": 42, "completion_tokens": 9, "total_tokens": 51,
              "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}},
}
MESSAGES = [{"role": "system", "content": "You are a support assistant."},
            {"role": "user", "content": "Where is my order? My email is jane@example.com."}]


def _client() -> Any:
    import httpx2
    import openai

    body = json.dumps(RESPONSE).encode()

    def handler(request: Any) -> Any:
        return httpx2.Response(200, content=body, headers={"content-type": "application/json"})

    return openai.OpenAI(api_key="sk-bench", base_url="http://bench.invalid/v1", max_retries=0,
                         http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))


def _providers() -> tuple[Any, Any]:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    class Discard(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    tp = TracerProvider()
    tp.add_span_processor(BatchSpanProcessor(Discard(), max_queue_size=1_000_000))
    return tp, MeterProvider(metric_readers=[InMemoryMetricReader()])


def _instrumenter(variant: str) -> tuple[Any, Any]:
    """(instrument, uninstrument) callables for one variant."""
    if variant.startswith("genlens"):
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

        import genlens

        class Discard(SpanExporter):
            def export(self, spans: Any) -> SpanExportResult:
                return SpanExportResult.SUCCESS

        content = variant == "genlens-content"

        def on() -> None:
            genlens.init(service_name="bench", span_exporter=Discard(), metric_reader=InMemoryMetricReader(),
                         set_global=False, environ={}, capture_content=content, redact=True,
                         max_queue_size=1_000_000, instrument=("openai",))

        return on, genlens.shutdown
    tp, mp = _providers()
    if variant == "openllmetry":
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor
    elif variant == "openinference":
        from openinference.instrumentation.openai import OpenAIInstrumentor  # type: ignore[no-redef]
    elif variant == "openai-v2":
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor  # type: ignore[no-redef]
    else:
        raise SystemExit(f"unknown variant {variant}")
    instrumentor = OpenAIInstrumentor()
    return (lambda: instrumentor.instrument(tracer_provider=tp, meter_provider=mp)), instrumentor.uninstrument


def _block(client: Any, calls: int, wall: list[float], cpu: list[float]) -> None:
    """Time ``calls`` calls: wall clock, and CPU time of this thread (blind to other processes' load)."""
    create = client.chat.completions.create
    clock = time.perf_counter_ns
    thread_clock = time.thread_time_ns
    for _ in range(calls):
        start, start_cpu = clock(), thread_clock()
        create(model="gpt-4o-mini", messages=MESSAGES, temperature=0.2)
        cpu.append((thread_clock() - start_cpu) / 1000)
        wall.append((clock() - start) / 1000)


def _snapshot() -> dict[tuple[str, str], int]:
    """Identity of every attribute of the openai classes an instrumentation may patch."""
    import openai
    from openai import _base_client
    from openai.resources.chat import completions

    classes = [completions.Completions, completions.AsyncCompletions, _base_client.SyncAPIClient,
               _base_client.AsyncAPIClient, openai.OpenAI, openai.AsyncOpenAI]
    return {(c.__name__, k): id(v) for c in classes for k, v in vars(c).items()}


def run_variant(variant: str, calls: int, rounds: int) -> dict[str, Any]:
    on, off = _instrumenter(variant)
    client = _client()
    scratch: list[float] = []
    before = _snapshot()
    _block(client, 300, scratch, scratch)  # warm the uninstrumented path
    on()
    _block(client, 300, scratch, scratch)  # warm the instrumented path (imports, caches, price lookups)
    off()
    clean = _snapshot() == before
    base_wall: list[float] = []
    base_cpu: list[float] = []
    inst_wall: list[float] = []
    inst_cpu: list[float] = []
    paired_wall: list[float] = []
    paired_cpu: list[float] = []
    process_cpu = {"base": 0, "inst": 0}
    if clean:
        med = statistics.median
        for _ in range(rounds):  # short alternating blocks: load changes hit both sides alike
            n = len(base_wall)
            t0 = time.process_time_ns()
            _block(client, calls, base_wall, base_cpu)
            t1 = time.process_time_ns()
            on()
            t2 = time.process_time_ns()
            _block(client, calls, inst_wall, inst_cpu)
            off()  # flushes: background export and metric work of the block is counted here
            t3 = time.process_time_ns()
            process_cpu["base"] += t1 - t0
            process_cpu["inst"] += t3 - t2
            paired_wall.append(med(inst_wall[n:]) - med(base_wall[n:]))
            paired_cpu.append(med(inst_cpu[n:]) - med(base_cpu[n:]))
    else:
        # uninstrumenting left patches behind (each on/off would stack another layer): the process
        # is not clean any more, so measure a fresh one, uninstrumented first, then switch once
        proc = subprocess.run([sys.executable, __file__, "--single-switch", variant, "--calls", str(calls),
                               "--rounds", str(rounds)], capture_output=True, text=True, timeout=1800)
        return {**json.loads(proc.stdout.strip().splitlines()[-1]), "clean_uninstrument": False}
    summary = _summary(variant, base_wall, base_cpu, inst_wall, inst_cpu, True)
    # the median of per-round differences is less exposed to load swings than pooled medians
    summary["added_us"] = statistics.median(paired_wall)
    summary["added_cpu_us"] = statistics.median(paired_cpu)
    summary["added_process_cpu_us"] = (process_cpu["inst"] - process_cpu["base"]) / 1000 / (rounds * calls)
    return summary


def run_single_switch(variant: str, calls: int, rounds: int) -> dict[str, Any]:
    on, _ = _instrumenter(variant)
    client = _client()
    scratch: list[float] = []
    base_wall: list[float] = []
    base_cpu: list[float] = []
    inst_wall: list[float] = []
    inst_cpu: list[float] = []
    _block(client, 300, scratch, scratch)
    t0 = time.process_time_ns()
    _block(client, calls * rounds, base_wall, base_cpu)
    t1 = time.process_time_ns()
    on()
    _block(client, 300, scratch, scratch)
    t2 = time.process_time_ns()
    _block(client, calls * rounds, inst_wall, inst_cpu)
    t3 = time.process_time_ns()  # background work still queued at the end is not counted
    summary = _summary(variant, base_wall, base_cpu, inst_wall, inst_cpu, False)
    summary["added_process_cpu_us"] = ((t3 - t2) - (t1 - t0)) / 1000 / (rounds * calls)
    return summary


def _bare_span_us() -> float:
    """Cost of the cheapest possible span here: a yardstick for how fast this machine is."""
    import timeit

    tp, _ = _providers()
    tracer = tp.get_tracer("yardstick")
    return min(timeit.repeat(lambda: tracer.start_span("x").end(), number=2000, repeat=7)) / 2000 * 1e6


def _summary(variant: str, base_wall: list[float], base_cpu: list[float], inst_wall: list[float],
             inst_cpu: list[float], clean: bool) -> dict[str, Any]:
    med = statistics.median
    return {"variant": variant, "calls": len(inst_wall), "clean_uninstrument": clean,
            "baseline_us": med(base_wall), "instrumented_us": med(inst_wall),
            "added_us": med(inst_wall) - med(base_wall), "added_cpu_us": med(inst_cpu) - med(base_cpu)}


def _measure(variant: str, calls: int, rounds: int, env: dict[str, str]) -> dict[str, Any] | None:
    proc = subprocess.run([sys.executable, __file__, "--variant", variant, "--calls", str(calls),
                           "--rounds", str(rounds)], capture_output=True, text=True, env=env, timeout=3600)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        print(f"{LABELS[variant]}: not measured ({tail[0][:200]})")
        return None
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def _median_run(variant: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One row per variant: the median of each figure over the runs, and every run's added time."""
    med = statistics.median
    row = {key: med(r[key] for r in runs) for key in ("baseline_us", "instrumented_us", "added_us", "added_cpu_us")}
    row["added_process_cpu_us"] = med(r.get("added_process_cpu_us", float("nan")) for r in runs)
    row["each_added_us"] = [r["added_us"] for r in runs]
    return {"variant": variant, "clean_uninstrument": all(r["clean_uninstrument"] for r in runs), **row}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100, help="calls per block")
    parser.add_argument("--rounds", type=int, default=40, help="alternating blocks per variant")
    parser.add_argument("--only", nargs="+", choices=VARIANTS, help="measure only these variants")
    parser.add_argument("--repeat", type=int, default=3, help="runs of every variant (interleaved); medians reported")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--single-switch", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args.variant, args.calls, args.rounds)))
        return 0
    if args.single_switch:
        print(json.dumps(run_single_switch(args.single_switch, args.calls, args.rounds)))
        return 0
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "GENLENS_", "TRACELOOP_"))}
    variants = args.only or VARIANTS
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    yardsticks = []
    for _ in range(args.repeat):  # variants interleaved, so a slow spell of the machine hits them all
        yardsticks.append(_bare_span_us())
        for variant in variants:
            measured = _measure(variant, args.calls, args.rounds, env)
            if measured is not None:
                runs[variant].append(measured)
    results = [_median_run(v, rs) for v, rs in runs.items() if rs]
    if not results:
        return 1
    med = statistics.median
    print(f"\nreference on this machine: one bare OTel SDK span (start + end, no attributes) = "
          f"{med(yardsticks):.1f} µs (median; {min(yardsticks):.1f}–{max(yardsticks):.1f})")
    print(f"median per non-streaming chat call, {args.rounds}×{args.calls} calls per variant and run, "
          f"median of {args.repeat} run(s) (python {sys.version.split()[0]})")
    print(f"{'variant':<76} {'base µs':>8} {'added µs':>9} {'runs (added µs)':>22} {'ratio':>6} "
          f"{'added CPU µs':>13} {'all threads':>11}")
    reference = next((r["added_us"] for r in results if r["variant"] == "genlens"), float("nan"))
    for r in results:
        mark = "" if r["clean_uninstrument"] else " *"
        each = "/".join(f"{x:.0f}" for x in r["each_added_us"])
        print(f"{LABELS[r['variant']] + mark:<76} {r['baseline_us']:8.1f} {r['added_us']:9.1f} {each:>22} "
              f"{r['added_us'] / reference:6.2f} {r['added_cpu_us']:13.1f} "
              f"{r.get('added_process_cpu_us', float('nan')):11.1f}")
    print("\nadded = per run, the median over rounds of (median instrumented − median uninstrumented) per call,\n"
          "wall clock, from alternating blocks in one process; the row shows the median over runs; ratio = added / genlens (content off) added; added CPU = the same on the calling\n"
          "thread's CPU clock (work on background threads — span export, genlens's metric aggregation — is\n"
          "not in it); all threads = mean process CPU per call including background threads and the flush at\n"
          "uninstrument (which flushes them).\n"
          "* uninstrument() left patches behind, so this variant was measured uninstrumented, then\n"
          "instrumented once, in a fresh process, without alternation (more exposed to drift).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
