"""A planted-incident span workload and a plain-Python reference evaluation of alert rules over it.

The reference walks the raw rows at every evaluation time (no buckets, no prefix
sums, no numpy), so the store's call series and the evaluator's arithmetic are
checked against an independent computation of the same documented semantics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from genlens.alerts.detectors import Rule, quantile_of
from genlens.metrics.catalog import LATENCY_BUCKETS
from genlens.semconv.canonical import empty_row

S = 10**9
MIN = 60 * S
HOUR = 3600 * S
DAY = 24 * HOUR
T0 = 1_790_000_000 * S // HOUR * HOUR  # an hour boundary
INCIDENTS = {  # name → (start, end) as offsets from T0
    "errors": (90 * MIN, 110 * MIN),
    "ttft": (120 * MIN, 140 * MIN),
    "refusals": (150 * MIN, 165 * MIN),
    "spend": (170 * MIN, 180 * MIN),
}
END = T0 + 200 * MIN


def _inside(t: int, name: str) -> bool:
    a, b = INCIDENTS[name]
    return T0 + a <= t < T0 + b


def workload(history_days: int = 0) -> list[dict[str, Any]]:
    """Calls of two providers and three features every 15 s for 200 min from T0, incidents planted;
    with ``history_days``, the same hours of that many earlier days, calm."""
    rows: list[dict[str, Any]] = []
    starts = [T0 + i * 15 * S for i in range((END - T0) // (15 * S))]
    for day in range(1, history_days + 1):
        starts += [t - day * DAY for t in starts[: len(starts) // 2] if (t // (15 * S)) % 4 == 0]
    n = 0
    for t in starts:
        live = t >= T0
        for provider, model, feature in (("openai", "gpt-4o-mini", "chat"), ("anthropic", "claude-haiku-4-5", "chat"),
                                         ("anthropic", "claude-haiku-4-5", "summarize"),
                                         ("openai", "gpt-4o", "batch")):
            n += 1
            row = empty_row()
            failed = live and provider == "anthropic" and _inside(t, "errors") and n % 3 == 0
            refused = live and feature == "summarize" and _inside(t, "refusals") and (t // (15 * S)) % 2 == 0
            ttft = 4.0 + (n % 5) * 0.3 if live and model == "gpt-4o-mini" and _inside(t, "ttft") else 0.4 + (n % 7) * 0.05
            cost = 0.002 * (1 + n % 3)
            if live and feature == "batch" and _inside(t, "spend"):
                cost *= 12
            duration = int((ttft + 1.0) * S)
            row.update(tenant=f"t{n % 3}", trace_id=f"{n:032x}", span_id=f"{n:016x}", name="chat", kind="llm",
                       start_ns=t, end_ns=t + duration, duration_ns=duration,
                       status="error" if failed else "ok", error_class="api" if failed else None,
                       provider=provider, request_model=model, feature=feature, service_name="bot", ttft_s=ttft,
                       cost_usd=cost, input_tokens=100 + n % 50, output_tokens=50,
                       finish_reasons=["content_filter"] if refused else ["stop"])
            rows.append(row)
    return rows


@dataclass(frozen=True)
class RefEpisode:
    rule: str
    labels: tuple[tuple[str, str], ...]
    fired_ns: int
    resolved_ns: int | None
    value: float


def _slice(row: dict[str, Any], key: str) -> str:
    value = {"model": row["request_model"] or row["response_model"], "service": row["service_name"]}.get(key, row.get(key))
    return "unknown" if value in (None, "") else str(value)


def _hist_quantile(q: float, values: list[float]) -> float:
    if not values:
        return math.nan
    rank = q * len(values)
    below = 0
    lower = 0.0
    for bound in LATENCY_BUCKETS:
        count = sum(1 for v in values if v <= bound)
        if count >= rank:
            return lower + (bound - lower) * ((rank - below) / (count - below) if count > below else 1.0)
        below, lower = count, bound
    return LATENCY_BUCKETS[-1]


def value_of(rule: Rule, rows: list[dict[str, Any]], seconds: float) -> float:
    calls = len(rows)
    if rule.aggregate == "error_rate":
        bad = sum(1 for r in rows if r["status"] == "error" and r["error_class"] not in ("validation", "guardrail"))
        return bad / calls if calls else math.nan
    if rule.aggregate == "refusal_rate":
        return sum("content_filter" in (r["finish_reasons"] or []) for r in rows) / calls if calls else math.nan
    if rule.aggregate == "cost_per_hour":
        return sum(r["cost_usd"] or 0.0 for r in rows) / (seconds / 3600) if seconds else math.nan
    quantile = quantile_of(rule.aggregate)
    assert quantile is not None
    q, which = quantile
    values = [r["ttft_s"] if which == "ttft" else r["duration_ns"] / 1e9 for r in rows
              if (r["ttft_s"] if which == "ttft" else r["duration_ns"]) is not None]
    return _hist_quantile(q, values)


def reference(rule: Rule, rows: list[dict[str, Any]], points: list[int], step: int) -> list[RefEpisode]:
    """Episodes of ``rule`` at evaluation times ``points`` (step boundaries), straight from the rows."""
    width = -(-rule.window_ns // step) * step
    trail = -(-rule.trailing_ns // step) * step
    slices: dict[tuple[tuple[str, str], ...], list[dict[str, Any]]] = {}
    for r in rows:
        if r["kind"] in ("llm", "embedding") and all(_slice(r, k) == v for k, v in rule.where):
            slices.setdefault(tuple((k, _slice(r, k)) for k in rule.by), []).append(r)
    out = []
    for label, members in sorted(slices.items()):
        bad_since: int | None = None
        fired: tuple[int, float] | None = None
        held = math.nan
        first_seen = min(r["start_ns"] for r in members) // step * step
        for t in points:
            now = [r for r in members if t - width <= r["start_ns"] < t]
            value = value_of(rule, now, width / S)
            baseline = math.nan
            if rule.baseline != "none":
                before = [r for r in members if t - width - trail <= r["start_ns"] < t - width]
                rate = rule.aggregate == "cost_per_hour"  # a rate needs history over its whole window
                if len(before) >= rule.min_calls and (not rate or t - width - trail >= first_seen):
                    baseline = value_of(rule, before, trail / S)
                if rule.baseline == "same_hour":
                    pooled: list[dict[str, Any]] = []
                    hours = 0
                    for day in range(1, rule.baseline_days + 1):
                        h = (t - day * DAY) // HOUR * HOUR
                        inside = [r for r in members if h <= r["start_ns"] < h + HOUR]
                        pooled += inside
                        hours += bool(inside)
                    if len(pooled) >= rule.min_calls:
                        baseline = value_of(rule, pooled, hours * 3600.0)
            bad = len(now) >= rule.min_calls and not math.isnan(value)
            if rule.above is not None:
                bad = bad and value > rule.above
            if rule.ratio is not None:  # while bad, the baseline stays what it was when it went bad
                base = held if bad_since is not None else baseline
                bad = bad and not math.isnan(base) and value > base * rule.ratio and value - base >= rule.min_delta
                if bad and bad_since is None:
                    held = baseline
            if bad:
                bad_since = t if bad_since is None else bad_since
                if fired is None and t - bad_since >= rule.for_ns:
                    fired = (t, value)
            else:
                if fired is not None:
                    out.append(RefEpisode(rule.name, label, fired[0], t, fired[1]))
                bad_since, fired = None, None
        if fired is not None:
            out.append(RefEpisode(rule.name, label, fired[0], None, fired[1]))
    return out
