"""The aggregator on Arrow batches: any batch split gives the same series, the text cache never goes stale."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from prometheus_client.exposition import generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

from genlens.metrics.catalog import FAMILIES, Family, check_catalog
from genlens.metrics.series import CHUNK, encode, strip_frame
from genlens.metrics.spans import SpanMetrics
from genlens.semconv.canonical import empty_row
from genlens.store.columnar import to_arrow
from genlens.store.schema import SPANS
from genlens.store.summaries import atto_array, atto_of
from genlens.store.writer import CommittedBatch

# The catalog of the field guides, written out here as the specification the exposition must match.
GUIDE_CATALOG = {
    "llm_requests_total": ("provider", "model", "feature", "status"),
    "llm_input_tokens_total": ("provider", "model", "feature"),
    "llm_output_tokens_total": ("provider", "model", "feature"),
    "llm_cache_read_tokens_total": ("provider", "model", "feature"),
    "llm_cache_write_tokens_total": ("provider", "model", "feature"),
    "llm_cost_usd_total": ("provider", "model", "feature", "tenant"),
    "llm_validation_errors_total": ("feature", "error_class"),
    "llm_guardrail_rejections_total": ("feature", "source"),
    "llm_api_errors_total": ("provider", "model", "error_type"),
    "llm_refusals_total": ("provider", "model", "feature"),
    "llm_ttft_seconds": ("provider", "model", "feature"),
    "llm_tpot_seconds": ("provider", "model"),
    "llm_total_latency_seconds": ("provider", "model", "feature"),
    "llm_decode_tokens_per_second": ("provider", "model"),
    "llm_streaming_chunk_gap_seconds": ("provider", "model"),
    "llm_cache_hit_ratio": ("model", "feature"),
}


# Families beyond the guides' catalog, each for a stated use.
EXTRA = {"llm_cost_per_call_usd": ("provider", "model", "feature")}  # the cost-per-call SLO's histogram


def test_catalog_is_the_guides_catalog() -> None:
    assert {f.name: f.labels for f in FAMILIES} == {**GUIDE_CATALOG, **EXTRA}


@pytest.mark.parametrize("family", [
    Family("llm_x_total", "counter", ("user_id",), "h"),
    Family("llm_x_total", "counter", ("colour",), "h"),
    Family("llm_x", "counter", ("model",), "h"),
    Family("llm_h", "histogram", ("model",), "h", (2.0, 1.0)),
])
def test_catalog_refuses_unbounded_unknown_or_misnamed(family: Family) -> None:
    with pytest.raises(ValueError):
        check_catalog((family,))


def _rows(n: int, seed: int, models: int = 40) -> list[dict[str, Any]]:
    r = random.Random(seed)
    rows = []
    for i in range(n):
        row = empty_row()
        row.update(tenant=r.choice("abc"), trace_id=f"{r.getrandbits(128):032x}", span_id=f"{r.getrandbits(64):016x}",
                   name="chat", kind=r.choice(["llm", "llm", "embedding", "tool"]), start_ns=i, end_ns=i + 5 * 10**8,
                   duration_ns=r.randint(10**7, 9 * 10**10), status=r.choice(["ok", "unset", "error"]),
                   provider=r.choice(["openai", None, ""]), request_model=f"m{r.randrange(models)}",
                   feature=r.choice(["chat", "rag", None]), input_tokens=r.randint(0, 5000),
                   output_tokens=r.randint(0, 500), cache_read_tokens=r.choice([None, 0, 100]),
                   cost_usd=r.choice([None, r.uniform(0, 0.5)]), ttft_s=r.choice([None, r.uniform(0, 40)]),
                   tpot_s=r.uniform(0, 0.2), decode_tps=r.choice([None, float("nan"), -1.0, r.uniform(1, 300)]),
                   finish_reasons=r.choice([None, [], ["stop"], ["stop", "content_filter"]]),
                   error_class=r.choice(["none", "api", "validation", "guardrail"]), error_type="E",
                   attributes='{"app.llm.guardrail.name": "pii"}')
        rows.append(row)
    return rows


def _fold(metrics: SpanMetrics, rows: list[dict[str, Any]], sizes: list[int], *, coalesce: bool = False) -> None:
    """Commit ``rows`` in batches of ``sizes``; each folded on its own unless ``coalesce`` (the server's way)."""
    start = 0
    for size in sizes:
        part = rows[start:start + size]
        start += size
        if part:
            metrics(CommittedBatch(0, {"spans": to_arrow(SPANS, part)}))
            if not coalesce:
                metrics.flush()


def _text(metrics: SpanMetrics, openmetrics: bool = False) -> bytes:
    if openmetrics:
        return metrics.exposition("openmetrics", generate_openmetrics)
    return metrics.exposition("text", generate_latest)


def test_any_split_of_the_batches_gives_the_same_series() -> None:
    rows = _rows(3000, seed=3)
    whole, split = SpanMetrics(), SpanMetrics()
    _fold(whole, rows, [len(rows)])
    r = random.Random(1)
    sizes = []
    while sum(sizes) < len(rows):
        sizes.append(r.randint(1, 400))
    _fold(split, rows, sizes)
    for name, series in whole.series.items():
        other = split.series[name]
        assert set(series.keys) == set(other.keys), name
        for key in series.keys:
            if series.family.kind == "counter":
                assert series.value(key) == pytest.approx(other.value(key), rel=1e-12), (name, key)
            else:
                a, b = series.histogram(key), other.histogram(key)
                assert a is not None and b is not None
                assert a[0] == b[0] and a[1] == pytest.approx(b[1], rel=1e-9)


def test_coalesced_batches_fold_as_the_whole_and_every_read_sees_them() -> None:
    rows = _rows(3000, seed=6)
    whole, coalesced = SpanMetrics(), SpanMetrics()
    _fold(whole, rows, [len(rows)])
    _fold(coalesced, rows, [100] * 30, coalesce=True)  # 3,000 spans: under FOLD_ROWS, mostly still pending
    assert _text(coalesced) == _text(whole)  # the scrape folds what is pending first
    assert coalesced.spans == len(rows) and coalesced.batches == 30
    pending = SpanMetrics()
    _fold(pending, rows, [3000], coalesce=True)
    assert [row[1] for row in pending.stats()] == [row[1] for row in whole.stats()]  # so do the stats


def test_invalid_observations_are_not_counted() -> None:
    rows = _rows(500, seed=9)
    metrics = SpanMetrics()
    _fold(metrics, rows, [500])
    rates = [row["decode_tps"] for row in rows if row["kind"] in ("llm", "embedding")]
    valid = [v for v in rates if v is not None and v == v and v >= 0]
    series = metrics.series["llm_decode_tokens_per_second"]
    counted = sum(sum(h[0]) for key in series.keys if (h := series.histogram(key)) is not None)
    assert counted == len(valid)


def test_cached_exposition_equals_a_fresh_render_after_every_change() -> None:
    rows = _rows(2000, seed=4, models=300)  # many series: several chunks per family
    cached = SpanMetrics()
    assert len(set((r["request_model"], r["feature"]) for r in rows)) > 2 * CHUNK
    for step in range(0, 2000, 1000):
        _fold(cached, rows[step:step + 1000], [1000])
        fresh = SpanMetrics()  # the same batches (the same float sums), never rendered before
        _fold(fresh, rows[: step + 1000], [1000] * (step // 1000 + 1))
        for openmetrics in (False, True):
            assert _text(cached, openmetrics) == _text(fresh, openmetrics)
            assert _text(cached, openmetrics) == _text(cached, openmetrics)  # a scrape changes nothing


def test_cap_folds_new_combinations_and_keeps_sums() -> None:
    rows = _rows(2000, seed=8, models=300)
    capped = SpanMetrics(max_series=10)
    _fold(capped, rows, [700, 700, 600])
    requests = capped.series["llm_requests_total"]
    assert len(requests) == 11
    calls = sum(1 for row in rows if row["kind"] in ("llm", "embedding"))
    assert sum(requests.value(key) for key in requests.keys) == calls
    assert requests.folded == requests.value(requests.family.other_key)


def _reference(metrics: SpanMetrics, openmetrics: bool) -> bytes:
    """The whole exposition encoded by prometheus_client alone, family by family."""
    encoder = generate_openmetrics if openmetrics else generate_latest
    out = []
    for series in metrics.series.values():
        chunks = (len(series) + CHUNK - 1) // CHUNK
        out.append(series.header(encoder))
        out.extend(strip_frame(encode([series.chunk_metric(c)], encoder)) for c in range(chunks))
    return b"".join(out)


@pytest.mark.parametrize("openmetrics", [False, True])
def test_exposition_is_byte_for_byte_prometheus_client(openmetrics: bool) -> None:
    rows = _rows(1500, seed=12, models=120)
    rows[0]["request_model"] = 'quo"te\\back\nslash ünï 🚀'
    metrics = SpanMetrics()
    for part in range(0, 1500, 300):
        _fold(metrics, rows[part:part + 300], [300])
        assert _text(metrics, openmetrics) == _reference(metrics, openmetrics)


def test_vectorised_atto_rounding_is_the_stores() -> None:
    r = random.Random(2)
    costs = [r.uniform(-0.3, 0.3) for _ in range(20_000)] + [r.uniform(0, 4.0) for _ in range(2000)]
    costs += [0.0, -0.0, 1e-18, 5e-19, 1.5e-18, 2.5e-18, -2.5e-18, 0.0045, 0.00450359962737049, float("nan"),
              float("inf"), -float("inf"), 1e-30, 3.999999999]
    got = atto_array(np.asarray(costs, dtype=np.float64))
    assert got is not None
    assert [int(v) for v in got] == [atto_of(c) for c in costs]
    assert atto_array(np.asarray([0.1, 5.0])) is None  # over an int64 of atto-dollars: the exact path
    assert atto_array(np.asarray([2e12, -1e13])).tolist() == [0, 0]  # beyond MAX_SPAN_USD counts nothing


def test_cost_of_expensive_spans_takes_the_exact_path() -> None:
    rows = _rows(200, seed=5)
    for row in rows:
        if row["kind"] == "llm":
            row["cost_usd"] = 12345.678901234567
    metrics = SpanMetrics()
    _fold(metrics, rows, [200])
    cost = metrics.series["llm_cost_usd_total"]
    want = sum(atto_of(row["cost_usd"]) for row in rows
               if row["kind"] in ("llm", "embedding") and row["cost_usd"] is not None)
    assert sum(cost._values) == want  # noqa: SLF001 - the exact stored sum, before the float exposition


def test_number_notation_is_prometheus_clients() -> None:
    from prometheus_client.utils import floatToGoString

    from genlens.metrics.series import _number

    for value in (0, 1, 13, 999_999, 1_000_000, 12_345_678, 2**53, 0.5, 1e-9, 123456.789, 1e21, float("inf")):
        assert _number(value) == floatToGoString(value).encode(), value
