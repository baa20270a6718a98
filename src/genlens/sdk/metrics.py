"""OTel metrics for LLM calls: genlens's own (``app.llm.*``) and the GenAI client metrics.

Labels are bounded: provider, model, feature, tenant, status and error type
only, each capped at ``max_label_values`` distinct values per process (the rest
become ``"other"``); the user id is never a label.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from opentelemetry.metrics import Meter

from genlens.sdk.forks import restart_in_children
from genlens.semconv import attrs

DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)
GAP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
RATE_BUCKETS = (1, 5, 10, 20, 40, 60, 80, 100, 150, 200, 300, 500, 1000)
RATIO_BUCKETS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)

# Label keys (bounded).
L_PROVIDER = attrs.GEN_AI_PROVIDER_NAME
L_OPERATION = attrs.GEN_AI_OPERATION_NAME
L_MODEL = attrs.GEN_AI_REQUEST_MODEL
L_FEATURE = attrs.APP_FEATURE
L_TENANT = attrs.APP_TENANT_ID
L_STATUS = "status"
L_ERROR_TYPE = attrs.ERROR_TYPE
L_TOKEN_TYPE = "gen_ai.token.type"
OTHER = "other"


class LabelLimiter:
    """Caps the distinct values each label key may take, so series stay bounded."""

    def __init__(self, max_values: int) -> None:
        self._max = max_values
        self._seen: dict[str, set[str]] = {}
        self._lock = threading.Lock()
        self.overflowed = 0

    def value(self, key: str, raw: Any) -> str:
        text = str(raw)[:128]
        seen = self._seen.get(key)
        if seen is not None and text in seen:
            return text
        with self._lock:
            seen = self._seen.setdefault(key, set())
            if text in seen:
                return text
            if len(seen) >= self._max:
                self.overflowed += 1
                return OTHER
            seen.add(text)
            return text


class CallRecord(NamedTuple):
    """What one finished LLM call contributes to the metrics (a tuple: cheap to build per call)."""

    provider: str
    model: str | None
    operation: str
    context: Mapping[str, Any]
    input_tokens: int | None
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost: float | None
    exceeded: bool | None
    total_s: float
    ttft: float | None
    tpot: float | None
    rate: float | None
    gaps: Sequence[float]
    error_type: str | None
    cancelled: bool


class Metrics:
    """Every instrument the SDK records, created once per meter.

    Per-call records are queued (bounded, drops counted) and written into the
    OTel instruments by a background thread, so the cost of metric
    aggregation is not paid on the application's request path.
    """

    def __init__(self, meter: Meter, max_label_values: int = 200, max_queue: int = 100_000,
                 interval_s: float = 0.2) -> None:
        self.limiter = LabelLimiter(max_label_values)
        self._queue: collections.deque[CallRecord | Callable[[], object]] = collections.deque()
        self._max_queue = max_queue
        self._interval = interval_s
        self._drain_lock = threading.Lock()
        self._stop = threading.Event()
        self.dropped = 0
        self._worker: threading.Thread | None = None
        restart_in_children(self)
        h = meter.create_histogram
        c = meter.create_counter
        self.requests = c("app.llm.requests", unit="{request}", description="LLM and embedding calls")
        self.tokens = c("app.llm.tokens", unit="{token}",
                        description="tokens by gen_ai.token.type: input, output, cache_read, cache_write")
        self.cost = c("app.llm.cost", unit="USD", description="cost computed at the source")
        self.errors = c("app.llm.api_errors", unit="{error}", description="provider API errors by error.type")
        self.validation_errors = c("app.llm.validation_errors", unit="{error}",
                                   description="outputs that failed their schema")
        self.guardrail_rejections = c("app.llm.guardrail_rejections", unit="{rejection}",
                                      description="inputs or outputs rejected by a guardrail")
        self.budget_exceeded = c("app.llm.budget_exceeded", unit="{call}",
                                 description="calls that took a feature over its token budget")
        self.ttft = h("app.llm.ttft", unit="s", description="time to first token of streamed calls",
                      explicit_bucket_boundaries_advisory=DURATION_BUCKETS)
        self.tpot = h("app.llm.tpot", unit="s", description="time per output token after the first",
                      explicit_bucket_boundaries_advisory=DURATION_BUCKETS)
        self.total_latency = h("app.llm.total_latency", unit="s", description="whole-call latency",
                               explicit_bucket_boundaries_advisory=DURATION_BUCKETS)
        self.decode_rate = h("app.llm.decode_tokens_per_s", unit="{token}/s",
                             description="output tokens per second after the first token",
                             explicit_bucket_boundaries_advisory=RATE_BUCKETS)
        self.chunk_gap = h("app.llm.chunk_gap", unit="s", description="time between stream chunks",
                           explicit_bucket_boundaries_advisory=GAP_BUCKETS)
        self.cache_hit_ratio = h("app.llm.cache_hit_ratio", unit="1",
                                 description="cache-read share of input tokens per call",
                                 explicit_bucket_boundaries_advisory=RATIO_BUCKETS)
        # OTel GenAI client metrics (v1.41).
        self.otel_tokens = h("gen_ai.client.token.usage", unit="{token}",
                             description="Measures number of input and output tokens used",
                             explicit_bucket_boundaries_advisory=TOKEN_BUCKETS)
        self.otel_duration = h("gen_ai.client.operation.duration", unit="s",
                               description="GenAI operation duration",
                               explicit_bucket_boundaries_advisory=DURATION_BUCKETS)
        self.otel_ttfc = h("gen_ai.client.operation.time_to_first_chunk", unit="s",
                           description="Time to receive the first chunk in a streaming operation",
                           explicit_bucket_boundaries_advisory=DURATION_BUCKETS)
        self.otel_tpoc = h("gen_ai.client.operation.time_per_output_chunk", unit="s",
                           description="Time per output chunk after the first in a streaming operation",
                           explicit_bucket_boundaries_advisory=DURATION_BUCKETS)

    def submit(self, record: CallRecord) -> None:
        """Queue one call's record (O(1) on the caller's thread)."""
        if len(self._queue) >= self._max_queue:
            self.dropped += 1
            return
        self._queue.append(record)
        if self._worker is None:
            self._start_worker()

    def _restart_in_child(self) -> None:
        """In a forked child: the parent's records are the parent's to write; the worker starts on use."""
        self._queue = collections.deque()
        self._drain_lock = threading.Lock()
        self._worker = None  # started again by the next submit

    def defer(self, work: Callable[[], object]) -> bool:
        """Run ``work`` on the metrics thread (False when the queue is full: then it is dropped).

        The span processor hands over the finishing of LLM spans it has no room for, so their
        calls still count in metrics and budgets without the caller paying for it.
        """
        if len(self._queue) >= self._max_queue:
            self.dropped += 1
            return False
        self._queue.append(work)
        if self._worker is None:
            self._start_worker()
        return True

    def _start_worker(self) -> None:
        with self._drain_lock:
            if self._worker is None and not self._stop.is_set():
                self._worker = threading.Thread(target=self._run, name="genlens-metrics", daemon=True)
                self._worker.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.drain()

    def drain(self) -> int:
        """Write every queued record into the instruments; returns how many."""
        done = 0
        with self._drain_lock:
            sums: dict[tuple[Any, tuple[tuple[str, str], ...]], float] = {}

            def add(counter: Any, value: float, labels: dict[str, str]) -> None:
                # counters are summed per label set first: one add() per series per drain
                key = (counter, tuple(sorted(labels.items())))
                sums[key] = sums.get(key, 0) + value

            while self._queue:
                record = self._queue.popleft()
                try:
                    if type(record) is CallRecord:
                        self._record(record, add)
                    else:  # work handed over by defer(); it may submit records, drained in this loop
                        record()  # type: ignore[operator]
                except Exception as exc:
                    from genlens.sdk import _safety

                    _safety.report("record metrics", exc)
                done += 1
            for (counter, labels), value in sums.items():
                counter.add(value, dict(labels))
        return done

    def close(self) -> None:
        self._stop.set()
        worker = self._worker
        if worker is not None:
            worker.join(5)
        self.drain()

    def _record(self, r: CallRecord, add: Any) -> None:
        labels = self.labels(r.provider, r.model, r.context)
        status = "error" if r.error_type is not None else ("cancelled" if r.cancelled else "ok")
        add(self.requests, 1, {**labels, L_STATUS: status})
        otel = {attrs.GEN_AI_PROVIDER_NAME: labels[attrs.GEN_AI_PROVIDER_NAME],
                attrs.GEN_AI_REQUEST_MODEL: labels[attrs.GEN_AI_REQUEST_MODEL], L_OPERATION: r.operation}
        if r.error_type is not None:
            add(self.errors, 1, {**labels, L_ERROR_TYPE: r.error_type})
            self.otel_duration.record(r.total_s, {**otel, L_ERROR_TYPE: r.error_type})
        else:
            self.otel_duration.record(r.total_s, otel)
        self.total_latency.record(r.total_s, labels)
        if r.input_tokens is not None:
            tokens = self.tokens
            add(tokens, r.input_tokens, {**labels, L_TOKEN_TYPE: "input"})
            add(tokens, r.output_tokens, {**labels, L_TOKEN_TYPE: "output"})
            if r.cache_read_tokens:
                add(tokens, r.cache_read_tokens, {**labels, L_TOKEN_TYPE: "cache_read"})
            if r.cache_write_tokens:
                add(tokens, r.cache_write_tokens, {**labels, L_TOKEN_TYPE: "cache_write"})
            self.otel_tokens.record(r.input_tokens, {**otel, L_TOKEN_TYPE: "input"})
            if r.operation != attrs.OP_EMBEDDINGS:
                self.otel_tokens.record(r.output_tokens, {**otel, L_TOKEN_TYPE: "output"})
                if r.input_tokens > 0:
                    self.cache_hit_ratio.record(r.cache_read_tokens / r.input_tokens, labels)
        if r.cost is not None:
            add(self.cost, r.cost, labels)
        if r.exceeded:
            add(self.budget_exceeded, 1, labels)
        if r.ttft is not None:
            self.ttft.record(r.ttft, labels)
            self.otel_ttfc.record(r.ttft, otel)
        if r.tpot is not None:
            self.tpot.record(r.tpot, labels)
            self.otel_tpoc.record(r.tpot, otel)
        if r.rate is not None:
            self.decode_rate.record(r.rate, labels)
        if r.gaps:
            self.record_gaps(r.gaps, labels)

    def labels(self, provider: str | None, model: str | None, context: Mapping[str, Any]) -> dict[str, str]:
        lim = self.limiter.value
        out = {L_PROVIDER: lim(L_PROVIDER, provider or "unknown"), L_MODEL: lim(L_MODEL, model or "unknown")}
        feature = context.get(attrs.APP_FEATURE)
        if feature is not None:
            out[L_FEATURE] = lim(L_FEATURE, feature)
        tenant = context.get(attrs.APP_TENANT_ID)
        if tenant is not None:
            out[L_TENANT] = lim(L_TENANT, tenant)
        return out

    def record_gaps(self, gaps: Sequence[float], labels: Mapping[str, str]) -> None:
        record = self.chunk_gap.record
        for gap in gaps:
            record(gap, labels)
