"""Backfill's time shift: whole traces move to their virtual moment, durations and events intact."""

from __future__ import annotations

import threading
import time

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from genlens.demo.timeshift import ShiftingExporter, ShiftRecorder, shift, virtual_time
from genlens.demo.traffic import NS, backfill_times, intensity

DAY = 86400 * NS


def _provider() -> tuple[TracerProvider, InMemorySpanExporter, ShiftRecorder]:
    memory = InMemorySpanExporter()
    recorder = ShiftRecorder()
    provider = TracerProvider()
    provider.add_span_processor(recorder)
    provider.add_span_processor(SimpleSpanProcessor(ShiftingExporter(memory, recorder)))
    return provider, memory, recorder


def test_a_trace_started_in_virtual_time_moves_as_a_whole() -> None:
    provider, memory, recorder = _provider()
    tracer = provider.get_tracer("t")
    offset = -3 * DAY - 12_345
    with virtual_time(offset):
        with tracer.start_as_current_span("root", attributes={"app.llm.cost_usd": 0.25}) as root:
            root.add_event("something")
            child_done = threading.Event()

            def work(ctx: object) -> None:  # a child in another thread, with no virtual_time of its own
                from opentelemetry import context

                token = context.attach(ctx)  # type: ignore[arg-type]
                try:
                    with tracer.start_as_current_span("child"):
                        time.sleep(0.001)
                finally:
                    context.detach(token)
                child_done.set()

            from opentelemetry import context

            threading.Thread(target=work, args=(context.get_current(),)).start()
            assert child_done.wait(10)
    with tracer.start_as_current_span("unshifted"):
        pass
    spans = {s.name: s for s in memory.get_finished_spans()}
    now = time.time_ns()
    for name in ("root", "child"):
        assert now - 3 * DAY - 60 * NS < spans[name].start_time < now - 3 * DAY + 60 * NS
    assert spans["root"].start_time <= spans["child"].start_time <= spans["child"].end_time <= spans["root"].end_time
    assert now - 60 * NS < spans["unshifted"].start_time <= now
    event = spans["root"].events[0]
    assert spans["root"].start_time <= event.timestamp <= spans["root"].end_time
    assert recorder.cost_usd == 0.25 and recorder.spans == 3


def test_shift_keeps_duration_and_event_offsets() -> None:
    provider, memory, _ = _provider()
    with provider.get_tracer("t").start_as_current_span("s") as span:
        span.add_event("e")
        time.sleep(0.002)
    (original,) = memory.get_finished_spans()
    moved = shift(original, -5 * DAY)
    assert moved.start_time == original.start_time - 5 * DAY
    assert moved.end_time - moved.start_time == original.end_time - original.start_time >= 2_000_000
    assert moved.events[0].timestamp - moved.start_time == original.events[0].timestamp - original.start_time
    assert moved.attributes == original.attributes and moved.context == original.context
    assert shift(original, 0) is original


def test_backfill_times_cover_the_window_with_a_daily_rhythm() -> None:
    end = 1_795_000_000 * NS
    start = end - 7 * DAY
    times = backfill_times(start, end, 12.0, seed=3)
    assert times == sorted(times) and start <= times[0] and times[-1] < end
    assert 0.7 * 12 * 24 * 7 < len(times) < 1.3 * 12 * 24 * 7  # mean intensity about 1
    days = {(t - start) // DAY for t in times}
    assert days == set(range(7))
    by_hour = [0] * 24
    for t in times:
        by_hour[(t // NS // 3600) % 24] += 1
    assert max(by_hour) > 3 * min(by_hour)  # busy afternoons, quiet nights
    assert backfill_times(start, end, 12.0, seed=3) == times  # reproducible
    assert max(intensity(start + h * 3600 * NS) for h in range(24)) > 1.5


def test_tiny_windows_and_rates() -> None:
    assert backfill_times(0, 1, 0.0001, seed=1) == []
    t = backfill_times(10 * NS, 10 * NS + 5, 1e12, seed=1)
    assert t and all(10 * NS <= x < 10 * NS + 5 for x in t)
