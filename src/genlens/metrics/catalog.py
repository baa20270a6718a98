"""The metric catalog: every span-derived metric the server exposes, declared once.

Names and labels are the ones the field's guides write their PromQL against
(``llm_requests_total{provider,model,feature,status}`` …), so a rule or a
dashboard copied from them runs unchanged.  The buckets of every latency
histogram include the thresholds people write SLOs and alerts against
(0.25 … 60 s), so ``le="5.0"`` is an exact "under 5 s" and never an interpolation.

``user_id`` is never a label: one series per user is unbounded cardinality, and
:func:`check_catalog` refuses it (and any label outside :data:`LABELS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["counter", "histogram"]

# Seconds: the SLO and alert thresholds of the guides, with finer steps below a quarter second for TTFT.
LATENCY_BUCKETS: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 10.0, 20.0, 30.0, 60.0)
# Seconds per output token: 200 tokens/s down to 1 token/s, with 33 ms (a comfortable reading pace).
TPOT_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.02, 0.033, 0.05, 0.1, 0.2, 0.5, 1.0)
# Seconds between stream chunks.
GAP_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0)
# Output tokens per second: under 10 grates, 30 is reading pace, healthy models decode 30–150.
RATE_BUCKETS: tuple[float, ...] = (1.0, 5.0, 10.0, 20.0, 30.0, 50.0, 80.0, 100.0, 150.0, 200.0, 300.0, 500.0)
# US dollars per call: the cost SLO's thresholds ($0.10 per call is the guides' default).
COST_BUCKETS: tuple[float, ...] = (0.0001, 0.0005, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
# Share of input tokens read from the prompt cache (a healthy hit rate is 0.7–0.95).
RATIO_BUCKETS: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)

# Every label a span-derived metric may carry.  Values come from span columns (see genlens.metrics.spans).
LABELS: frozenset[str] = frozenset(
    {"provider", "model", "feature", "status", "tenant", "error_class", "source", "error_type"})
FORBIDDEN_LABELS: frozenset[str] = frozenset({"user_id", "conversation_id", "trace_id", "span_id", "session_id"})

UNKNOWN = "unknown"  # the value of a label whose span column is empty
OTHER = "other"  # every label of the series that combinations over the cap fold into
MAX_LABEL_CHARS = 128  # longer values are cut: a hostile model name must not make a megabyte series


@dataclass(frozen=True)
class Family:
    """One metric: its exposed name (counters end in ``_total``), kind, labels, help and buckets."""

    name: str
    kind: Kind
    labels: tuple[str, ...]
    help: str
    buckets: tuple[float, ...] = ()
    divisor: float = 1.0  # exposed value = stored value / divisor (costs are summed in exact atto-dollars)

    @property
    def other_key(self) -> tuple[str, ...]:
        return (OTHER,) * len(self.labels)


_PMF = ("provider", "model", "feature")
_PM = ("provider", "model")

FAMILIES: tuple[Family, ...] = (
    Family("llm_requests_total", "counter", (*_PMF, "status"),
           "LLM and embedding calls, by outcome (status is error when the span's status is error)."),
    Family("llm_input_tokens_total", "counter", _PMF, "Input tokens of LLM calls, cache reads and writes included."),
    Family("llm_output_tokens_total", "counter", _PMF, "Output tokens of LLM calls, reasoning included."),
    Family("llm_cache_read_tokens_total", "counter", _PMF, "Input tokens read from the provider's prompt cache."),
    Family("llm_cache_write_tokens_total", "counter", _PMF, "Input tokens written to the provider's prompt cache."),
    Family("llm_cost_usd_total", "counter", (*_PMF, "tenant"),
           "Cost of LLM calls in US dollars (calls of unknown cost add nothing).", divisor=1e18),
    Family("llm_validation_errors_total", "counter", ("feature", "error_class"),
           "Outputs that failed their schema (error_class: the validation error's type)."),
    Family("llm_guardrail_rejections_total", "counter", ("feature", "source"),
           "Inputs or outputs a guardrail rejected (source: the guardrail)."),
    Family("llm_api_errors_total", "counter", (*_PM, "error_type"),
           "LLM calls that failed at the provider or on the way (timeouts included)."),
    Family("llm_refusals_total", "counter", _PMF, "LLM calls the model refused (finish reason content_filter)."),
    Family("llm_ttft_seconds", "histogram", _PMF, "Time to first token of streamed calls.", LATENCY_BUCKETS),
    Family("llm_tpot_seconds", "histogram", _PM, "Time per output token after the first.", TPOT_BUCKETS),
    Family("llm_total_latency_seconds", "histogram", _PMF, "Duration of LLM calls, end to end.", LATENCY_BUCKETS),
    Family("llm_decode_tokens_per_second", "histogram", _PM, "Output tokens per second while decoding.",
           RATE_BUCKETS),
    Family("llm_streaming_chunk_gap_seconds", "histogram", _PM,
           "Gaps between stream chunks, from spans that report them.", GAP_BUCKETS),
    Family("llm_cache_hit_ratio", "histogram", ("model", "feature"),
           "Per call: cache-read tokens over input tokens.", RATIO_BUCKETS),
    # beyond the guides' catalog: what a cost-per-call SLO counts against its threshold
    Family("llm_cost_per_call_usd", "histogram", _PMF, "Cost of each priced LLM call in US dollars.", COST_BUCKETS),
)
FAMILIES_BY_NAME: dict[str, Family] = {f.name: f for f in FAMILIES}


def check_catalog(families: tuple[Family, ...] = FAMILIES) -> None:
    """Refuse a catalog with an unbounded or unknown label, or a counter not named ``*_total``."""
    for family in families:
        bad = set(family.labels) & FORBIDDEN_LABELS
        if bad:
            raise ValueError(f"metric {family.name}: {sorted(bad)} may never be a label (unbounded cardinality)")
        unknown = set(family.labels) - LABELS
        if unknown:
            raise ValueError(f"metric {family.name}: unknown labels {sorted(unknown)}")
        if family.kind == "counter" and not family.name.endswith("_total"):
            raise ValueError(f"counter {family.name} must end in _total")
        if family.kind == "histogram" and list(family.buckets) != sorted(set(family.buckets)):
            raise ValueError(f"histogram {family.name}: buckets must be increasing")


check_catalog()
