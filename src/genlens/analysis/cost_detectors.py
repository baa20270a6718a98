"""Cost detectors: plain Python over the store's cost aggregates, so every backend detects alike.

(a) prompt-cost regression: a (feature, prompt id, prompt sha) whose cost per
    call on a UTC day exceeds ``regression_ratio`` × the cost per call of the
    same prompt template's *other* versions over the 7 days before (the version
    under test must not dilute its own baseline, nor a feature's other prompts
    stand in for it);
(b) cache-hit-rate drop: cache-read / input tokens of a feature over the last 7
    days of the range fell more than ``cache_drop_pct`` % against the 7 days before;
(c) spend anomaly: a feature's spend in an hour/day bucket above
    median + k × 1.4826 × MAD of the previous 7 days of buckets (a robust baseline)
    and at least ``anomaly_min_ratio`` × that median;
(d) token-budget breach: a feature's tokens in a UTC day above its budget;
(e) runaway conversation: cumulative tokens above ``runaway_tokens``, or input
    tokens still climbing over each of the last ``runaway_turns`` calls.

Consecutive flagged buckets of one subject become one finding whose window
spans them.  Every loop is bounded by the number of aggregate rows fetched.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from genlens.analysis.findings import (
    CACHE_DROP,
    PROMPT_REGRESSION,
    RUNAWAY_CONVERSATION,
    SPEND_ANOMALY,
    TOKEN_BUDGET,
    Finding,
    severity_for,
)
from genlens.store.base import AnalyticsReader
from genlens.store.queries import ALL_TENANTS, CostQuery
from genlens.timeparse import NS_PER_DAY, NS_PER_HOUR

WEEK_NS = 7 * NS_PER_DAY
MAX_GROUPS = 500_000
MAX_CONVERSATIONS = 500
EXAMPLES = 5


@dataclass(frozen=True)
class Thresholds:
    regression_ratio: float = 1.5
    regression_min_calls: int = 20
    cache_drop_pct: float = 20.0
    cache_min_input_tokens: int = 10_000
    anomaly_bucket: str = "day"
    anomaly_k: float = 5.0
    anomaly_min_ratio: float = 2.0
    token_budgets: dict[str, int] = field(default_factory=dict)  # feature (or "*") → tokens per UTC day
    runaway_tokens: int = 1_000_000
    runaway_turns: int = 30


def _groups(store: AnalyticsReader, start: int, end: int, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    return store.cost_groups(CostQuery(ALL_TENANTS, start, end, keys, limit=MAX_GROUPS))[:MAX_GROUPS]


def _floor(ns: int, step: int) -> int:
    return ns // step * step


def _episodes(buckets: list[int], step: int) -> list[list[int]]:
    """Sorted bucket starts → runs of consecutive buckets."""
    runs: list[list[int]] = []
    for b in sorted(buckets):
        if runs and b - runs[-1][-1] <= step:
            runs[-1].append(b)
        else:
            runs.append([b])
    return runs


def _examples(store: AnalyticsReader, tenant: str, start: int, end: int, by: str = "cost", **filters: str | None) -> list[str]:
    pairs = tuple((k, v) for k, v in filters.items() if v is not None)
    return store.example_traces(CostQuery(tenant, start, end, filters=pairs), EXAMPLES, by)


# (tenant, feature, prompt id) → UTC day → prompt sha → [priced calls, cost]
PromptSeries = dict[tuple[str, str, str | None], dict[int, dict[str, list[float]]]]


def _prompt_series(rows: list[dict[str, Any]]) -> PromptSeries:
    """Per-day priced calls and cost of each prompt version, keyed by the prompt template it versions.

    A sha without a prompt id is attributed only when its feature shows at most
    one prompt id over the rows: then the feature plausibly has one prompt and
    its id-less shas are versions of it.  Where a feature has several ids, an
    id-less sha could belong to any of them, so it is left out rather than
    compared with a different template.
    """
    named: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in rows:
        if r["feature"] is not None and r["prompt_id"] is not None:
            named[(r["tenant"], r["feature"])].add(r["prompt_id"])
    data: PromptSeries = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        priced = r["calls"] - r["unknown_cost_calls"]
        if r["feature"] is None or r["prompt_sha"] is None or priced <= 0:
            continue
        prompt_id = r["prompt_id"]
        if prompt_id is None:
            ids = named.get((r["tenant"], r["feature"]), set())
            if len(ids) > 1:
                continue
            prompt_id = next(iter(ids), None)
        slot = data[(r["tenant"], r["feature"], prompt_id)][int(r["day"])].setdefault(r["prompt_sha"], [0.0, 0.0])
        slot[0] += priced
        slot[1] += float(r["cost_usd"])
    return data


def _regressed_days(days: dict[int, dict[str, list[float]]], first_day: int,
                    th: Thresholds) -> dict[str, dict[int, tuple[float, float, float]]]:
    """sha → day → (calls, cost, baseline cost per call) for each day a version ran above its baseline.

    The baseline is the prompt's *other* versions over the 7 days before: the
    version under test must not dilute its own baseline.
    """
    flagged: dict[str, dict[int, tuple[float, float, float]]] = defaultdict(dict)
    for day in sorted(d for d in days if d >= first_day):
        for sha, (calls, cost) in days[day].items():
            if calls < th.regression_min_calls:
                continue
            base_calls = base_cost = 0.0
            for prior in range(day - WEEK_NS, day, NS_PER_DAY):
                for other, (c, k) in days.get(prior, {}).items():
                    if other != sha:
                        base_calls += c
                        base_cost += k
            if base_calls < th.regression_min_calls or base_cost <= 0:
                continue
            baseline = base_cost / base_calls
            if cost / calls > th.regression_ratio * baseline:
                flagged[sha][day] = (calls, cost, baseline)
    return flagged


def prompt_regressions(store: AnalyticsReader, start: int, end: int, th: Thresholds) -> list[Finding]:
    """Prompt versions whose cost per call rose above earlier versions of the *same* prompt template.

    Subjects are (tenant, feature, prompt id, prompt sha), compared with the
    other shas of the same (tenant, feature, prompt id) over the 7 days before.
    Comparing across a feature's prompts instead would flag, every day, the
    expensive one of a feature that sends several (a cheap router prompt and a
    long answer prompt on a dearer model) although nothing changed.  Spans
    without a prompt id join their feature's only prompt id, or form one
    unnamed prompt when the feature has none, and are skipped when the feature
    has several (see :func:`_prompt_series`).  ``details["prompt_id"]`` names
    the template (``None`` when unnamed).
    """
    first_day = _floor(start, NS_PER_DAY)
    rows = _groups(store, first_day - WEEK_NS, end, ("tenant", "feature", "prompt_id", "prompt_sha", "day"))
    findings = []
    for (tenant, feature, prompt_id), days in _prompt_series(rows).items():
        for sha, hits in _regressed_days(days, first_day, th).items():
            for run in _episodes(list(hits), NS_PER_DAY):
                calls = sum(hits[d][0] for d in run)
                observed = sum(hits[d][1] for d in run) / calls
                baseline = hits[run[0]][2]
                w0, w1 = max(run[0], start), min(run[-1] + NS_PER_DAY, end)
                findings.append(Finding(
                    PROMPT_REGRESSION, severity_for(observed / baseline, th.regression_ratio), tenant, w0, w1,
                    observed, baseline, "usd_per_call", feature=feature, prompt_sha=sha,
                    example_trace_ids=_examples(store, tenant, w0, w1, feature=feature, prompt_sha=sha),
                    details={"calls": int(calls), "threshold_ratio": th.regression_ratio, "prompt_id": prompt_id,
                             "baseline": "other versions of the same prompt template, 7 days before"},
                ))
    return findings


def cache_drops(store: AnalyticsReader, start: int, end: int, th: Thresholds) -> list[Finding]:  # noqa: ARG001 - fixed week
    span = WEEK_NS  # week over week, whatever the range
    cur = {(r["tenant"], r["feature"]): r for r in _groups(store, end - span, end, ("tenant", "feature"))}
    prev = {(r["tenant"], r["feature"]): r for r in _groups(store, end - 2 * span, end - span, ("tenant", "feature"))}
    findings = []
    for (tenant, feature), now in cur.items():
        before = prev.get((tenant, feature))
        if feature is None or before is None:
            continue
        if min(now["input_tokens"], before["input_tokens"]) < th.cache_min_input_tokens:
            continue
        rate_now = now["cache_read_tokens"] / now["input_tokens"]
        rate_before = before["cache_read_tokens"] / before["input_tokens"]
        if rate_before <= 0 or (rate_before - rate_now) / rate_before * 100 <= th.cache_drop_pct:
            continue
        drop = (rate_before - rate_now) / rate_before
        findings.append(Finding(
            CACHE_DROP, "critical" if drop * 100 >= 2 * th.cache_drop_pct else "warning", tenant, end - span, end,
            rate_now, rate_before, "cache_hit_rate", feature=feature,
            example_trace_ids=_examples(store, tenant, end - span, end, feature=feature),
            details={"drop_pct": drop * 100, "threshold_pct": th.cache_drop_pct,
                     "baseline_window_start_ns": end - 2 * span},
        ))
    return findings


def spend_anomalies(store: AnalyticsReader, start: int, end: int, th: Thresholds) -> list[Finding]:
    step = NS_PER_HOUR if th.anomaly_bucket == "hour" else NS_PER_DAY
    history = WEEK_NS // step
    first = _floor(start, step)
    rows = _groups(store, first - WEEK_NS, end, ("tenant", "feature", th.anomaly_bucket))
    spend: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for r in rows:
        if r["feature"] is not None and r["cost_usd"] is not None:
            spend[(r["tenant"], r["feature"])][int(r[th.anomaly_bucket])] = float(r["cost_usd"])
    findings = []
    for (tenant, feature), series in spend.items():
        hits: dict[int, tuple[float, float]] = {}
        for b in sorted(x for x in series if x >= first):
            prior = [series.get(p) for p in range(b - WEEK_NS, b, step)]
            seen = [p for p in prior if p is not None]
            if len(seen) < 0.7 * history:
                continue
            values = [p or 0.0 for p in prior]
            median = statistics.median(values)
            mad = statistics.median(abs(v - median) for v in values)
            if median > 0 and series[b] > median + th.anomaly_k * 1.4826 * mad \
                    and series[b] >= th.anomaly_min_ratio * median:
                hits[b] = (series[b], median)
        for run in _episodes(list(hits), step):
            peak = max(run, key=lambda b: hits[b][0])
            w0, w1 = max(run[0], start), min(run[-1] + step, end)
            observed, baseline = hits[peak]
            findings.append(Finding(
                SPEND_ANOMALY, severity_for(observed / baseline, th.anomaly_min_ratio), tenant, w0, w1,
                observed, baseline, f"usd_per_{th.anomaly_bucket}", feature=feature,
                example_trace_ids=_examples(store, tenant, w0, w1, feature=feature),
                details={"bucket": th.anomaly_bucket, "peak_bucket_ns": peak, "k": th.anomaly_k},
            ))
    return findings


def budget_breaches(store: AnalyticsReader, start: int, end: int, th: Thresholds) -> list[Finding]:
    if not th.token_budgets:
        return []
    rows = _groups(store, _floor(start, NS_PER_DAY), end, ("tenant", "feature", "day"))
    used: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    for r in rows:
        if r["feature"] is not None:
            used[(r["tenant"], r["feature"])][int(r["day"])] = int(r["input_tokens"]) + int(r["output_tokens"])
    findings = []
    for (tenant, feature), days in used.items():
        budget = th.token_budgets.get(feature, th.token_budgets.get("*"))
        if budget is None:
            continue
        over = [d for d, tokens in days.items() if tokens > budget]
        for run in _episodes(over, NS_PER_DAY):
            observed = max(days[d] for d in run)
            w0, w1 = max(run[0], start), min(run[-1] + NS_PER_DAY, end)
            findings.append(Finding(
                TOKEN_BUDGET, severity_for(observed / budget, 1.5), tenant, w0, w1, float(observed), float(budget),
                "tokens_per_day", feature=feature,
                example_trace_ids=_examples(store, tenant, w0, w1, "tokens", feature=feature),
                details={"days_over": len(run)},
            ))
    return findings


def runaway_conversations(store: AnalyticsReader, start: int, end: int, th: Thresholds) -> list[Finding]:
    query = CostQuery(ALL_TENANTS, start, end)
    candidates = store.top_conversations(query, MAX_CONVERSATIONS, "tokens", th.runaway_tokens, th.runaway_turns)
    by_tenant: dict[str, list[str]] = defaultdict(list)
    for c in candidates:
        by_tenant[c["tenant"]].append(c["conversation_id"])
    turns: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for tenant, ids in by_tenant.items():
        for t in store.conversation_turns(tenant, ids, start, end, max(th.runaway_turns, EXAMPLES)):
            turns[(tenant, t["conversation_id"])].append(t)
    findings = []
    for c in candidates:
        last = turns[(c["tenant"], c["conversation_id"])]
        total = int(c["total_tokens"] or 0)
        tail = [t["input_tokens"] for t in last[-th.runaway_turns:]]
        climbing = len(tail) >= th.runaway_turns and all(b > a for a, b in zip(tail, tail[1:], strict=False))
        if total < th.runaway_tokens and not climbing:
            continue
        examples = list(dict.fromkeys(t["trace_id"] for t in reversed(last)))[:EXAMPLES]
        findings.append(Finding(
            RUNAWAY_CONVERSATION, "critical" if total >= 2 * th.runaway_tokens else "warning", c["tenant"],
            int(c["first_ns"]), int(c["last_ns"]), float(total), float(th.runaway_tokens), "tokens",
            feature=last[-1].get("feature") if last else None, conversation_id=c["conversation_id"],
            example_trace_ids=examples,
            details={"turns": int(c["calls"]), "climbing": climbing, "cost_usd": c["cost_usd"],
                     "last_turn_input_tokens": tail[-1] if tail else None},
        ))
    return findings


DETECTORS: dict[str, Callable[[AnalyticsReader, int, int, Thresholds], list[Finding]]] = {
    PROMPT_REGRESSION: prompt_regressions,
    CACHE_DROP: cache_drops,
    SPEND_ANOMALY: spend_anomalies,
    TOKEN_BUDGET: budget_breaches,
    RUNAWAY_CONVERSATION: runaway_conversations,
}


def detect(store: AnalyticsReader, start: int, end: int, th: Thresholds, kinds: tuple[str, ...] | None = None) -> list[Finding]:
    """Run the detectors over ``[start, end)`` (baselines reach back before ``start``)."""
    out: list[Finding] = []
    for kind, detector in DETECTORS.items():
        if kinds is None or kind in kinds:
            out.extend(detector(store, start, end, th))
    return out
