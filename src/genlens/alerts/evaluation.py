"""Evaluating alert rules over any range: what fired, when, for which slice — live and on demand alike.

The store answers one call series per run (:class:`~genlens.store.queries.SeriesQuery`:
counts per time bucket of ``step`` and slice); every rule's windows are then sums
of whole buckets, taken for all slices and evaluation times at once from prefix
sums.  Rules are evaluated at each bucket boundary: a rule's slice is *pending*
from the first bad evaluation, *fires* once it has been bad for the rule's
``for`` duration, and *resolves* at the first evaluation where it is good again.
The live job replays the recent past with the same code and keeps what fires at
the latest boundary, so ``genlens detect`` over a past range answers exactly what
the server would have sent.

Quantiles come from cumulative counts at the catalog's latency bounds,
interpolated inside the bucket as Prometheus' ``histogram_quantile`` does, so a
detector, ``/metrics`` and a Prometheus rule read the same p95.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from genlens.alerts.detectors import FAMILIES, Rule, quantile_of
from genlens.metrics.catalog import LATENCY_BUCKETS
from genlens.store.base import AnalyticsReader
from genlens.store.queries import ALL_TENANTS, SeriesQuery
from genlens.timeparse import NS_PER_DAY, NS_PER_HOUR, iso

UNKNOWN = "unknown"  # the label of a slice value the spans do not carry (as on /metrics)
MAX_POINTS = 50_000  # evaluation times in one run: a longer range needs a longer step
EXAMPLES = 5
MIN_STEP_NS = 10**9  # on-demand evaluation steps: finer ones only multiply the work
_SUMS = ("calls", "errors", "refusals", "input_tokens", "output_tokens", "cache_read_tokens", "cost_usd",
         "ttft_count", "latency_count")
_LISTS = ("ttft_le", "latency_le")
# example trace → the value that ranks it (None: the trace id itself)
_TRACES: dict[str, str | None] = {"error_trace": None, "refusal_trace": None, "slow_ttft_trace": "slow_ttft_s",
                                  "slow_trace": "slow_s", "cost_trace": "cost_max"}
HOURS_PER_MONTH = 730.0
PER_HOUR = frozenset({"usd_per_hour", "usd_per_month", "tokens_per_hour", "calls_per_hour"})


@dataclass
class Series:
    """Dense arrays over (slice, bucket) of one call series: ``origin`` is the first bucket's start."""

    origin: int
    step: int
    n_buckets: int
    slices: list[dict[str, str]]
    sums: dict[str, np.ndarray]  # name → [slices, buckets]
    lists: dict[str, np.ndarray]  # name → [slices, buckets, bounds]
    traces: dict[str, np.ndarray]  # name → object [slices, buckets] of (rank, trace id) or None

    def since_bucket(self, first: int) -> Series:
        """The same series from bucket ``first`` on (a view: nothing is copied)."""
        if first == 0:
            return self
        return Series(self.origin + first * self.step, self.step, self.n_buckets - first, self.slices,
                      {k: v[:, first:] for k, v in self.sums.items()},
                      {k: v[:, first:] for k, v in self.lists.items()},
                      {k: v[:, first:] for k, v in self.traces.items()})


def fetch(reader: AnalyticsReader, keys: tuple[str, ...], start: int, end: int, step: int,
          tenant: str = ALL_TENANTS) -> Series:
    """The call series of ``[start, end)`` (``start`` a multiple of ``step``) by ``keys``, as dense arrays."""
    n = max(0, -(-(end - start) // step))
    rows = reader.call_series(SeriesQuery(tenant, start, end, step, keys, LATENCY_BUCKETS)) if n else []
    index: dict[tuple[str, ...], int] = {}
    cells: list[tuple[int, int]] = []
    for row in rows:
        key = tuple(UNKNOWN if row[k] in (None, "") else str(row[k]) for k in keys)
        s = index.setdefault(key, len(index))
        cells.append((s, (int(row["bucket"]) - start) // step))
    shape = (len(index), n)
    sums = {name: np.zeros(shape) for name in _SUMS}
    lists = {name: np.zeros((*shape, len(LATENCY_BUCKETS))) for name in _LISTS}
    traces = {name: np.full(shape, None, dtype=object) for name in _TRACES}
    for row, (s, b) in zip(rows, cells, strict=True):
        if not 0 <= b < n:
            continue
        for name in _SUMS:
            sums[name][s, b] += float(row[name] or 0)
        for name in _LISTS:
            lists[name][s, b] += np.asarray(row[name], dtype=float)
        for name, rank in _TRACES.items():
            if row[name] is not None:
                traces[name][s, b] = (float(row[rank] or 0.0) if rank else 0.0, str(row[name]))
    slices = [dict(zip(keys, key, strict=True)) for key in index]
    return Series(start, step, n, slices, sums, lists, traces)


@dataclass
class _Grouped:
    """A series summed to one rule's slices (its ``by``, within its ``where``), with prefix sums over buckets."""

    labels: list[tuple[tuple[str, str], ...]]
    members: list[list[int]]  # rule slice → series slices
    prefix: dict[str, np.ndarray]  # name → [rule slices, buckets + 1 (, bounds)]


def _group(series: Series, rule: Rule, labels: list[tuple[tuple[str, str], ...]] | None = None) -> _Grouped:
    where = dict(rule.where)
    order: dict[tuple[tuple[str, str], ...], int] = {lab: i for i, lab in enumerate(labels or [])}
    members: dict[int, list[int]] = {}
    for i, slice_values in enumerate(series.slices):
        if any(slice_values.get(k) != v for k, v in where.items()):
            continue
        label = tuple((k, slice_values[k]) for k in rule.by)
        if label not in order:
            if labels is not None:
                continue  # a slice the current series does not have: no baseline needed
            order[label] = len(order)
        members.setdefault(order[label], []).append(i)
    mapping = np.full(len(series.slices), -1)
    for r, rows in members.items():
        mapping[rows] = r
    keep = mapping >= 0
    prefix: dict[str, np.ndarray] = {}
    for name, values in (*series.sums.items(), *series.lists.items()):
        total = np.zeros((len(order), *values.shape[1:]))
        np.add.at(total, mapping[keep], values[keep])
        pad = np.zeros((len(order), 1, *values.shape[2:]))
        prefix[name] = np.concatenate([pad, np.cumsum(total, axis=1)], axis=1)
    return _Grouped(list(order), [members.get(r, []) for r in range(len(order))], prefix)


def _window(g: _Grouped, ends: np.ndarray, length: int) -> dict[str, np.ndarray]:
    """Sums over buckets [end - length, end) per rule slice and evaluation point."""
    starts = np.maximum(ends - length, 0)
    return {name: p[:, ends] - p[:, starts] for name, p in g.prefix.items()}


def _quantile(q: float, cumulative: np.ndarray, count: np.ndarray) -> np.ndarray:
    """``histogram_quantile`` over cumulative counts at LATENCY_BUCKETS (NaN without observations)."""
    bounds = np.asarray(LATENCY_BUCKETS)
    rank = q * count
    reached = cumulative >= rank[..., None]
    idx = np.where(reached.any(axis=-1), reached.argmax(axis=-1), len(bounds) - 1)
    upper = bounds[idx]
    lower = np.where(idx > 0, bounds[np.maximum(idx - 1, 0)], 0.0)
    c_hi = np.take_along_axis(cumulative, idx[..., None], axis=-1)[..., 0]
    c_lo = np.where(idx > 0, np.take_along_axis(cumulative, np.maximum(idx - 1, 0)[..., None], axis=-1)[..., 0], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        inside = np.where(c_hi > c_lo, (rank - c_lo) / (c_hi - c_lo), 1.0)
        value = lower + (upper - lower) * np.clip(inside, 0.0, 1.0)
    value = np.where(reached.any(axis=-1), value, bounds[-1])  # beyond the top bound: the top bound
    return np.where(count > 0, value, np.nan)


def aggregate(name: str, sums: dict[str, np.ndarray], seconds: np.ndarray | float) -> np.ndarray:
    """The value of aggregate ``name`` from window sums lasting ``seconds`` (NaN where undefined)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        calls = sums["calls"]
        if name == "error_rate":
            return np.where(calls > 0, sums["errors"] / calls, np.nan)
        if name == "refusal_rate":
            return np.where(calls > 0, sums["refusals"] / calls, np.nan)
        if name == "cache_hit_rate":
            inputs = sums["input_tokens"]
            return np.where(inputs > 0, sums["cache_read_tokens"] / inputs, np.nan)
        hours = np.asarray(seconds, dtype=float) / 3600.0
        if name in ("cost_per_hour", "projected_month"):
            rate = np.where(hours > 0, sums["cost_usd"] / hours, np.nan)
            return rate * HOURS_PER_MONTH if name == "projected_month" else rate
        if name == "tokens_per_hour":
            return np.where(hours > 0, (sums["input_tokens"] + sums["output_tokens"]) / hours, np.nan)
        if name == "calls_per_hour":
            return np.where(hours > 0, calls / hours, np.nan)
    quantile = quantile_of(name)
    if quantile is None:
        raise ValueError(f"unknown aggregate {name!r}")
    q, which = quantile
    return _quantile(q, sums[f"{which}_le"], sums[f"{which}_count"])


def example_field(rule: Rule) -> str:
    """Which example trace of a bucket illustrates the rule: a failed call, a refusal, a slow or dear one."""
    quantile = quantile_of(rule.aggregate)
    if quantile is not None:
        return "slow_ttft_trace" if quantile[1] == "ttft" else "slow_trace"
    return {"error_rate": "error_trace", "refusal_rate": "refusal_trace", "cost_per_hour": "cost_trace",
            "projected_month": "cost_trace"}.get(rule.aggregate, "slow_trace")


@dataclass(frozen=True)
class Episode:
    """One incident of one rule and slice: when it started being bad, fired, and resolved."""

    rule: Rule
    labels: tuple[tuple[str, str], ...]
    pending_ns: int
    fired_ns: int
    resolved_ns: int | None  # None: still firing at the end of the range
    value: float  # when it fired
    peak: float  # the worst value while it fired
    baseline: float | None  # at the peak
    baseline_from: str  # same_hour | trailing | '' (no baseline)
    calls: int  # in the window at the peak
    example_trace_ids: tuple[str, ...] = field(default=())

    @property
    def firing(self) -> bool:
        return self.resolved_ns is None

    def as_dict(self) -> dict[str, Any]:
        rule = self.rule
        return {
            "alert": rule.name, "family": rule.family, "severity": rule.severity, "aggregate": rule.aggregate,
            "unit": rule.unit, "slice": dict(self.labels), "labels": dict(rule.labels),
            "pending_at": iso(self.pending_ns), "fired_at": iso(self.fired_ns),
            "resolved_at": iso(self.resolved_ns) if self.resolved_ns is not None else None,
            "fired_at_ns": self.fired_ns, "resolved_at_ns": self.resolved_ns,
            "value": _finite(self.value), "peak": _finite(self.peak), "baseline": _finite(self.baseline),
            "baseline_from": self.baseline_from, "calls": self.calls,
            "window": _duration(rule.window_ns), "for": _duration(rule.for_ns),
            "trailing": _duration(rule.trailing_ns),
            "condition": condition_text(rule), "runbook": rule.runbook,
            "example_trace_ids": list(self.example_trace_ids),
        }


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _duration(ns: int) -> str:
    for unit, size in (("d", NS_PER_DAY), ("h", NS_PER_HOUR), ("m", 60 * 10**9), ("s", 10**9)):
        if ns >= size and ns % size == 0:
            return f"{ns // size}{unit}"
    return f"{ns / 1e9:g}s"


def condition_text(rule: Rule) -> str:
    """The rule's condition in words, e.g. ``p95_ttft > 2x baseline (same_hour) and +0.5``."""
    parts = []
    if rule.above is not None:
        parts.append(f"> {rule.above:g}")
    if rule.below is not None:
        parts.append(f"< {rule.below:g}")
    if rule.ratio is not None:
        sign = "/" if rule.falling else "x"
        parts.append(f"{'below baseline ' if rule.falling else ''}{rule.ratio:g}{sign} baseline ({rule.baseline})"
                     + (f" by at least {rule.min_delta:g}" if rule.min_delta else ""))
    return f"{rule.aggregate} " + " and ".join(parts) + f" over {_duration(rule.window_ns)}, {rule.min_calls}+ calls"


def grid(since_ns: int, until_ns: int, step_ns: int) -> np.ndarray:
    """Evaluation times: the step boundaries in ``[since, until]``."""
    first = -(-since_ns // step_ns) * step_ns
    last = until_ns // step_ns * step_ns
    if last < first:
        return np.zeros(0, dtype=np.int64)
    if (last - first) // step_ns + 1 > MAX_POINTS:
        raise ValueError(f"range too long for a step of {_duration(step_ns)}: at most {MAX_POINTS} evaluations "
                         "(use a longer step or a shorter range)")
    return np.arange(first, last + 1, step_ns, dtype=np.int64)


class Evaluator:
    """Evaluates rules over ranges; keeps the hourly baseline series between live runs of the same hour."""

    def __init__(self, reader: AnalyticsReader, rules: Sequence[Rule], step_ns: int,
                 tenant: str = ALL_TENANTS) -> None:
        if step_ns <= 0:
            raise ValueError("step must be > 0")
        self.reader = reader
        self.rules = list(rules)
        self.step = step_ns
        self.tenant = tenant
        self._hourly: dict[tuple[str, ...], tuple[tuple[int, int], Series]] = {}

    def _hourly_series(self, keys: tuple[str, ...], start: int, end: int) -> Series:
        cached = self._hourly.get(keys)
        if cached is None or cached[0] != (start, end):
            cached = self._hourly[keys] = ((start, end), fetch(self.reader, keys, start, end, NS_PER_HOUR,
                                                               self.tenant))
        return cached[1]

    def _plan(self, rule: Rule, since_ns: int, until_ns: int) -> tuple[np.ndarray, int]:
        """A rule's evaluation times (from the ones before ``since`` that decide its state there) and the
        first bucket its windows and baseline read: its own, so its answer never depends on other rules."""
        step = self.step
        points = grid(since_ns - rule.for_ns - step, until_ns, step)
        reach = rule.window_ns + (rule.trailing_ns if rule.baseline != "none" else 0)
        origin = (int(points[0]) - reach) // step * step - step if len(points) else 0
        return points, origin

    def evaluate(self, since_ns: int, until_ns: int) -> list[Episode]:
        """Every episode of every rule pending, firing or resolved within ``[since, until]``.

        One call series is read per set of slice keys (a rule's ``by`` and ``where``), so a rule answers
        the same with or without other rules beside it.
        """
        step = self.step
        out: list[Episode] = []
        by_keys: dict[tuple[str, ...], list[Rule]] = {}
        for rule in self.rules:
            by_keys.setdefault(tuple(sorted(rule.keys)), []).append(rule)
        for keys, rules in by_keys.items():
            plans = [(rule, *self._plan(rule, since_ns, until_ns)) for rule in rules]
            plans = [p for p in plans if len(p[1])]
            if not plans:
                continue
            origin = min(o for _, _, o in plans)
            last = max(int(points[-1]) for _, points, _ in plans)
            series = fetch(self.reader, keys, origin, last, step, self.tenant)
            hourly = None
            days = max((r.baseline_days for r in rules if r.baseline == "same_hour"), default=0)
            if days:
                first = min(int(points[0]) for _, points, _ in plans)
                h0 = first // NS_PER_HOUR * NS_PER_HOUR - days * NS_PER_DAY
                h1 = last // NS_PER_HOUR * NS_PER_HOUR - NS_PER_DAY + NS_PER_HOUR
                hourly = self._hourly_series(keys, h0, h1)
            for rule, points, rule_origin in plans:
                view = series.since_bucket((rule_origin - origin) // step)
                ends = ((points - rule_origin) // step).astype(np.int64)
                out.extend(self._rule(rule, view, hourly, points, ends, since_ns))
        return sorted(out, key=lambda e: (e.fired_ns, e.rule.name, e.labels))

    def _rule(self, rule: Rule, series: Series, hourly: Series | None, points: np.ndarray, ends: np.ndarray,
              since_ns: int) -> list[Episode]:
        g = _group(series, rule)
        if not g.labels:
            return []
        width = -(-rule.window_ns // self.step)
        now = _window(g, ends, width)
        value = aggregate(rule.aggregate, now, width * self.step / 1e9)
        baseline, source = self._baseline(rule, series, hourly, g, points, ends, width)
        bad = now["calls"] >= rule.min_calls
        with np.errstate(invalid="ignore"):
            if rule.above is not None:
                bad &= value > rule.above
            if rule.below is not None:
                bad &= value < rule.below
        if rule.ratio is not None:
            bad, baseline, source = _anomalous(rule, value, bad, baseline, source)
        examples = series.traces[example_field(rule)]
        episodes = []
        keep = -(-rule.keep_firing_ns // self.step)
        for r, label in enumerate(g.labels):
            for a, fire, b, end in _firing(bad[r], -(-rule.for_ns // self.step), keep):
                resolved = int(points[end]) if end < len(points) else None
                if resolved is not None and resolved <= since_ns:
                    continue
                span = np.where(bad[r, fire:b], value[r, fire:b], np.nan)
                peak = fire + int(np.nanargmin(span) if rule.falling else np.nanargmax(span))
                base = float(baseline[r, peak]) if np.isfinite(baseline[r, peak]) else None
                episodes.append(Episode(
                    rule, label, int(points[a]), int(points[fire]), resolved, float(value[r, fire]),
                    float(value[r, peak]), base, source[r, peak] if base is not None else "",
                    int(now["calls"][r, peak]),
                    _examples(examples, g.members[r], int(ends[peak]) - width, int(ends[peak]))))
        return episodes

    def _baseline(self, rule: Rule, series: Series, hourly: Series | None, g: _Grouped, points: np.ndarray,
                  ends: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
        """The baseline per rule slice and point, and where it came from (same_hour, trailing or '')."""
        shape = (len(g.labels), len(points))
        if rule.baseline == "none":
            return np.full(shape, np.nan), np.full(shape, "", dtype=object)
        trail = -(-rule.trailing_ns // self.step)
        before = _window(g, np.maximum(ends - width, 0), trail)  # the trailing window just before this one
        trailing = aggregate(rule.aggregate, before, trail * self.step / 1e9)
        enough = before["calls"] >= rule.min_calls
        if rule.unit in PER_HOUR:  # a rate needs history over all of its window, or it reads as a rise
            calls = g.prefix["calls"]
            seen = calls[:, 1:] > calls[:, :-1]
            first = np.where(seen.any(axis=1), seen.argmax(axis=1), calls.shape[1])  # a slice's first bucket
            enough &= (ends - width - trail)[None, :] >= first[:, None]
        value = np.where(enough, trailing, np.nan)
        source = np.where(enough, "trailing", "").astype(object)
        if rule.baseline == "same_hour" and hourly is not None and hourly.n_buckets:
            h = _group(hourly, rule, g.labels)
            pooled: dict[str, np.ndarray] = {name: np.zeros((shape[0], shape[1], *p.shape[2:]))
                                             for name, p in h.prefix.items()}
            hours = np.zeros(shape)
            for day in range(1, rule.baseline_days + 1):
                idx = ((points - day * NS_PER_DAY) // NS_PER_HOUR * NS_PER_HOUR - hourly.origin) // NS_PER_HOUR
                valid = (idx >= 0) & (idx < hourly.n_buckets)
                j = np.clip(idx, 0, hourly.n_buckets - 1)
                one = {name: np.where(valid.reshape((1, -1) + (1,) * (p.ndim - 2)), p[:, j + 1] - p[:, j], 0.0)
                       for name, p in h.prefix.items()}
                seen = one["calls"] > 0
                for name in pooled:
                    pooled[name] += one[name]
                hours += seen
            same = aggregate(rule.aggregate, pooled, hours * 3600.0)
            enough_same = pooled["calls"] >= rule.min_calls
            value = np.where(enough_same, same, value)
            source = np.where(enough_same, "same_hour", source)
        return value, source


def _away(rule: Rule, value: np.ndarray, baseline: np.ndarray | float) -> np.ndarray:
    assert rule.ratio is not None
    with np.errstate(invalid="ignore"):
        if rule.falling:
            return (value < baseline / rule.ratio) & (baseline - value >= rule.min_delta)
        return (value > baseline * rule.ratio) & (value - baseline >= rule.min_delta)


def _anomalous(rule: Rule, value: np.ndarray, candidate: np.ndarray, baseline: np.ndarray,
               source: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the value is ``ratio`` away from its baseline, the baseline held at what it was when it went bad.

    Without the hold, a trailing baseline fills with the incident itself and the
    alert would resolve while the incident lasts.  Returns (bad, baseline used, source).
    """
    bad = np.zeros_like(candidate)
    held = baseline.copy()
    held_source = source.copy()
    for r in range(value.shape[0]):
        starts = candidate[r] & _away(rule, value[r], baseline[r])
        i = 0
        while True:
            ahead = np.flatnonzero(starts[i:])
            if not len(ahead):
                break
            j = i + int(ahead[0])
            still = candidate[r, j:] & _away(rule, value[r, j:], baseline[r, j])
            stop = np.flatnonzero(~still)
            end = j + (int(stop[0]) if len(stop) else len(still))
            bad[r, j:end] = True
            held[r, j:end] = baseline[r, j]
            held_source[r, j:end] = source[r, j]
            i = end + 1  # the evaluation that broke the run is good: a new run starts after it
    return bad, held, held_source


def _firing(bad: np.ndarray, for_steps: int, keep_steps: int) -> list[tuple[int, int, int, int]]:
    """(pending, fired, last bad + 1, resolved) indexes of each firing episode of one slice.

    An episode fires once bad for ``for_steps``; it resolves ``keep_steps`` after the last bad evaluation,
    unless it turns bad again before (then it goes on firing, without a new ``for``).
    """
    out: list[tuple[int, int, int, int]] = []
    for a, b in _runs(bad):
        if out and a < out[-1][3]:  # bad again while kept firing: the same episode
            pending, fired, _, _ = out[-1]
            out[-1] = (pending, fired, b, b + keep_steps)
            continue
        fire = a + for_steps
        if fire < b:
            out.append((a, fire, b, b + keep_steps))
    return out


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the runs of True."""
    padded = np.concatenate([[False], flags.astype(bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _examples(traces: np.ndarray, members: list[int], first: int, last: int) -> tuple[str, ...]:
    """Up to EXAMPLES example traces of the slices' buckets ``[first, last)``: the highest ranked (slowest,
    dearest; else the largest trace ids), the same however finely the series was sliced."""
    if not members:
        return ()
    cells = traces[members, max(first, 0):max(min(last, traces.shape[1]), 0)].ravel()
    ranked: list[tuple[float, str]] = sorted((c for c in cells if c is not None), reverse=True)
    return tuple(dict.fromkeys(trace for _, trace in ranked))[:EXAMPLES]


def detect(reader: AnalyticsReader, rules: Sequence[Rule], family: str, since_ns: int, until_ns: int,
           step_ns: int, tenant: str = ALL_TENANTS) -> list[dict[str, Any]]:
    """What the rules of ``family`` (``all``: every rule) would have raised over ``[since, until]``, and when.

    ``ValueError`` for an unknown family, a step under a second, or a range of too many steps.
    """
    if family != "all" and family not in FAMILIES:
        raise ValueError(f"unknown detector family {family!r} (one of: all, {', '.join(FAMILIES)})")
    if step_ns < MIN_STEP_NS:
        raise ValueError("step must be at least 1s")
    chosen = [rule for rule in rules if family == "all" or rule.family == family]
    return [e.as_dict() for e in Evaluator(reader, chosen, step_ns, tenant).evaluate(since_ns, until_ns)]
