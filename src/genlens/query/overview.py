"""The overview dashboard's numbers, backend-neutral: the store returns grouped rows, this shapes them.

Derived figures are computed here, once, so the page and its JSON twin agree:
today vs yesterday, the 7-day trend (least-squares slope of daily cost), error
rate and cache-hit rate.  The month to date and its month-end projection are the
cost page's (:func:`genlens.query.cost_views.month_to_date`), so both pages show
one number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from genlens.query.cost import from_filter
from genlens.query.cost_views import month_to_date
from genlens.store.base import Store
from genlens.store.queries import SpanFilter
from genlens.timeparse import NS_PER_DAY, NS_PER_MINUTE, NS_PER_SECOND

_NICE_BUCKETS_S = (60, 300, 600, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400)


def bucket_ns_for(window_ns: int, target: int = 60) -> int:
    """A round bucket width giving about ``target`` points over the window."""
    want = window_ns / target / NS_PER_SECOND
    for seconds in _NICE_BUCKETS_S:
        if seconds >= want:
            return seconds * NS_PER_SECOND
    return _NICE_BUCKETS_S[-1] * NS_PER_SECOND


def slope(values: list[float]) -> float:
    """Least-squares slope of equally spaced values (units per step); 0 for fewer than two points."""
    n = len(values)
    if n < 2:
        return 0.0
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    num = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    den = sum((i - mean_x) ** 2 for i in range(n))
    return num / den


@dataclass
class Overview:
    """Everything the overview page shows (also its JSON twin)."""

    now_ns: int
    bucket_s: int
    kpis: dict[str, Any]
    daily: list[dict[str, Any]]  # [{day_ns, cost_usd, by_feature: {feature: cost}}], oldest first, today last
    by_feature: list[dict[str, Any]]
    buckets: list[dict[str, Any]]
    decode: dict[str, list[tuple[int, float]]]  # model → [(t_ns, tokens/s)]
    slowest: list[dict[str, Any]]
    failures: list[dict[str, Any]]
    prompt_changes: list[dict[str, Any]]
    features: list[str] = field(default_factory=list)  # features in the stacked daily chart, biggest first


def _daily(rows: list[dict[str, Any]], day0_ns: int, days: int, top: int = 8) -> tuple[list[dict[str, Any]], list[str]]:
    totals: dict[str, float] = {}
    for r in rows:
        totals[r["feature"]] = totals.get(r["feature"], 0.0) + (r["cost_usd"] or 0.0)
    ranked = sorted(totals, key=lambda k: (-totals[k], k))
    keep = set(ranked[:top])
    series = [{"day_ns": day0_ns + i * NS_PER_DAY, "cost_usd": 0.0, "llm_calls": 0, "by_feature": {}}
              for i in range(days)]
    for r in rows:
        i = (r["day_ns"] - day0_ns) // NS_PER_DAY
        if not 0 <= i < days:
            continue
        name = r["feature"] if r["feature"] in keep else "other"
        cost = r["cost_usd"] or 0.0
        series[i]["cost_usd"] += cost
        series[i]["llm_calls"] += r["llm_calls"] or 0
        series[i]["by_feature"][name] = series[i]["by_feature"].get(name, 0.0) + cost
    names = ranked[:top] + (["other"] if len(ranked) > top else [])
    return series, names


def _quantiles(values: Any, scale: float = 1.0) -> list[float | None]:
    if not isinstance(values, list | tuple) or len(values) != 3:
        return [None, None, None]
    return [None if v is None else float(v) * scale for v in values]


def build_overview(store: Store, f: SpanFilter, now_ns: int) -> Overview:
    """Run the dashboard queries for ``f`` (whose window must be set) and derive the headline figures."""
    start_ns = f.start_ns if f.start_ns is not None else now_ns - NS_PER_DAY
    end_ns = f.end_ns if f.end_ns is not None else now_ns
    bucket = bucket_ns_for(max(end_ns - start_ns, NS_PER_MINUTE))
    today0 = (now_ns // NS_PER_DAY) * NS_PER_DAY
    day0 = today0 - 7 * NS_PER_DAY
    raw = store.overview_aggregates(f, bucket, day0)
    month = month_to_date(store, from_filter(f, start_ns, end_ns), now_ns)

    daily, features = _daily(raw["daily"], day0, 8)
    full_days = [d["cost_usd"] for d in daily[:-1]]  # the seven complete days before today
    today, yesterday = daily[-1]["cost_usd"], daily[-2]["cost_usd"]
    k = raw["kpis"][0] if raw["kpis"] else {}
    traces = k.get("requests") or 0  # a request is a root span: one per (complete) trace
    llm_calls = k.get("llm_calls") or 0
    kpis = {
        "cost_usd": k.get("cost_usd") or 0.0, "tokens": k.get("tokens") or 0, "requests": k.get("requests") or 0,
        "traces": traces, "llm_calls": llm_calls,
        "error_rate": (k.get("failed_traces") or 0) / traces if traces else None,
        "llm_error_rate": (k.get("llm_errors") or 0) / llm_calls if llm_calls else None,
        "p95_latency_s": k["p95_request_ns"] / NS_PER_SECOND if k.get("p95_request_ns") is not None else None,
        "today_usd": today, "yesterday_usd": yesterday,
        "today_vs_yesterday": (today - yesterday) / yesterday if yesterday else None,
        "trend_usd_per_day": slope(full_days),
        "month_to_date_usd": month["month_to_date_usd"],
        "month_end_projection_usd": month["projected_month_usd"],
    }
    by_feature = []
    for r in raw["by_feature"]:
        by_feature.append({
            "feature": r["feature"], "calls": r["calls"], "cost_usd": r["cost_usd"],
            "ttft_s": _quantiles(r["ttft_q"]), "latency_s": _quantiles(r["latency_q"], 1e-9),
            "cache_hit_rate": (r["cache_read"] or 0) / r["input_tokens"] if r["input_tokens"] else None,
        })
    decode: dict[str, list[tuple[int, float]]] = {}
    for r in raw["decode"]:
        decode.setdefault(str(r["model"]), []).append((r["t"], float(r["tps"])))
    return Overview(
        now_ns=now_ns, bucket_s=bucket // NS_PER_SECOND, kpis=kpis, daily=daily, by_feature=by_feature,
        buckets=raw["buckets"], decode=decode, slowest=raw["slowest"], failures=raw["failures"],
        prompt_changes=raw["prompt_changes"], features=features,
    )
