"""A seeded OTLP workload of LLM calls with every signal the metric catalog counts, and its expected values.

Each call is sent the way the genlens SDK sends it (OTel GenAI + ``app.llm.*``)
under a workflow span (never counted as a request).  The expected counters are
computed here from the values *sent*, by plain arithmetic — never through
genlens' normalizer or aggregator: costs are summed as exact decimals of the
reported ``app.llm.cost_usd``, histogram buckets by comparing each value with
each bound.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from genlens.metrics.catalog import COST_BUCKETS, LATENCY_BUCKETS, RATE_BUCKETS, RATIO_BUCKETS, TPOT_BUCKETS
from tests.otlp_helpers import span_request

PROVIDERS = {"openai": ("gpt-4o", "gpt-4o-mini"), "anthropic": ("claude-sonnet-4-5", "claude-haiku-4-5")}
FEATURES = ("chat", "search", "summarize", "extract")
TENANTS = ("acme", "globex", "initech")
ERROR_TYPES = ("RateLimitError", "InternalServerError", "APIConnectionError")


def _bucket_counts(values: list[float], bounds: tuple[float, ...]) -> list[int]:
    """Cumulative counts per ``le`` bound, +Inf last, by comparing every value with every bound."""
    return [sum(1 for v in values if v <= b) for b in bounds] + [len(values)]


@dataclass
class Expected:
    requests: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)  # provider, model, feature, status
    tokens: dict[str, Counter[tuple[str, str, str]]] = field(default_factory=lambda: defaultdict(Counter))
    cost: dict[tuple[str, str, str, str], Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    api_errors: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    refusals: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    validation: Counter[tuple[str, str]] = field(default_factory=Counter)
    guardrail: Counter[tuple[str, str]] = field(default_factory=Counter)
    ttft: dict[tuple[str, str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    tpot: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    latency: dict[tuple[str, str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    decode: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    hit_ratio: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    call_cost: dict[tuple[str, str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    calls: int = 0

    def buckets(self, family: str, key: tuple[str, ...]) -> list[int]:
        values, bounds = {
            "llm_ttft_seconds": (self.ttft, LATENCY_BUCKETS), "llm_tpot_seconds": (self.tpot, TPOT_BUCKETS),
            "llm_total_latency_seconds": (self.latency, LATENCY_BUCKETS),
            "llm_decode_tokens_per_second": (self.decode, RATE_BUCKETS),
            "llm_cache_hit_ratio": (self.hit_ratio, RATIO_BUCKETS),
            "llm_cost_per_call_usd": (self.call_cost, COST_BUCKETS),
        }[family]
        return _bucket_counts(values[key], bounds)  # type: ignore[index]


def _call(r: random.Random, start: int, exp: Expected, trace: bytes, parent: bytes) -> dict[str, Any]:
    provider = r.choice(list(PROVIDERS))
    model = r.choice(PROVIDERS[provider])
    feature, tenant = r.choice(FEATURES), r.choice(TENANTS)
    inp = r.randint(100, 8000)
    out = r.randint(5, 900)
    cache_read = r.randint(0, inp // 2) if r.random() < 0.6 else 0
    cache_write = r.randint(0, (inp - cache_read) // 4) if r.random() < 0.2 else 0
    duration_ns = r.randint(50_000_000, 70_000_000_000)
    cost = Decimal(f"{r.uniform(0.00001, 0.2):.9f}")
    attrs: dict[str, Any] = {
        "gen_ai.provider.name": provider, "gen_ai.operation.name": "chat", "gen_ai.request.model": model,
        "gen_ai.response.model": f"{model}-2025", "gen_ai.usage.input_tokens": inp,
        "gen_ai.usage.output_tokens": out, "gen_ai.usage.cache_read.input_tokens": cache_read,
        "gen_ai.usage.cache_creation.input_tokens": cache_write, "app.llm.feature": feature,
        "app.llm.tenant.id": tenant, "app.llm.cost_usd": float(cost), "user.id": f"user-{r.randint(1, 9999)}",
    }
    status = 0
    roll = r.random()
    finish = "stop"
    exp.calls += 1
    if roll < 0.08:  # the provider failed
        status = 2
        error_type = r.choice(ERROR_TYPES)
        attrs["error.type"] = error_type
        exp.api_errors[(provider, model, error_type)] += 1
    elif roll < 0.12:
        finish = "content_filter"
        exp.refusals[(provider, model, feature)] += 1
    elif roll < 0.15:
        attrs["app.llm.error_class"] = "validation"
        attrs["error.type"] = "JSONDecodeError"
        exp.validation[(feature, "JSONDecodeError")] += 1
    elif roll < 0.17:
        guard = r.choice(("pii-filter", "toxicity"))
        attrs["app.llm.error_class"] = "guardrail"
        attrs["app.llm.guardrail.name"] = guard
        exp.guardrail[(feature, guard)] += 1
    attrs["gen_ai.response.finish_reasons"] = [finish]
    if r.random() < 0.7:  # streamed
        ttft = r.uniform(0.02, min(25.0, duration_ns / 1e9))
        tpot = r.uniform(0.002, 0.3)
        rate = r.uniform(0.5, 400.0)
        attrs.update({"app.llm.streaming": True, "app.llm.ttft_s": ttft, "app.llm.tpot_s": tpot,
                      "app.llm.decode_tokens_per_s": rate})
        exp.ttft[(provider, model, feature)].append(ttft)
        exp.tpot[(provider, model)].append(tpot)
        exp.decode[(provider, model)].append(rate)
    status_label = "error" if status == 2 else "ok"
    exp.requests[(provider, model, feature, status_label)] += 1
    for name, value in (("input", inp), ("output", out), ("cache_read", cache_read), ("cache_write", cache_write)):
        exp.tokens[name][(provider, model, feature)] += value
    exp.cost[(provider, model, feature, tenant)] += cost
    exp.call_cost[(provider, model, feature)].append(float(cost))
    exp.latency[(provider, model, feature)].append(duration_ns / 1e9)
    exp.hit_ratio[(model, feature)].append(cache_read / inp)
    return {"trace_id": trace, "span_id": r.randbytes(8), "parent": parent, "name": f"chat {model}", "kind": 3,
            "start": start, "end": start + duration_ns, "attributes": attrs, "status": status}


def requests(n_traces: int, seed: int = 11, start_ns: int = 1_780_000_000 * 10**9,
             per_request: int = 25, step_ns: int = 1_000_000_000) -> tuple[list[bytes], Expected]:
    """Serialized OTLP export requests of ``n_traces`` traces (a workflow and 1–4 calls each), and the answer."""
    r = random.Random(seed)
    exp = Expected()
    spans: list[dict[str, Any]] = []
    for i in range(n_traces):
        trace, root = r.randbytes(16), r.randbytes(8)
        t = start_ns + i * step_ns
        spans.append({"trace_id": trace, "span_id": root, "name": "invoke_workflow support", "start": t,
                      "end": t + 80 * 10**9, "attributes": {"gen_ai.operation.name": "invoke_workflow",
                                                            "app.llm.feature": "chat"}})
        for _ in range(r.randint(1, 4)):
            spans.append(_call(r, t, exp, trace, root))
    bodies = [span_request(spans[i:i + per_request]).SerializeToString() for i in range(0, len(spans), per_request)]
    return bodies, exp
