"""``apply_costs``: the pipeline stage over canonical rows."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from genlens.pricing import LIBRARY_LABEL, PriceBook, apply_costs
from genlens.semconv.canonical import COLUMN_NAMES, empty_row

M = 1_000_000


def ns(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp()) * 1_000_000_000


def row(**values: Any) -> dict[str, Any]:
    r = empty_row()
    r.update({"kind": "llm", "provider": "openai", "request_model": "gpt-4o", "start_ns": ns(2025, 9, 1)})
    r.update(values)
    return r


def close(a: float | None, b: float) -> bool:
    return a is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15)


@pytest.fixture
def book(tmp_path: Path) -> PriceBook:
    path = tmp_path / "prices.yaml"
    path.write_text("prices:\n  - {model: house-model, provider: self-hosted, input: 1.0, output: 2.0}\n")
    return PriceBook.load(path)


def test_prices_llm_and_embedding_rows_only(book: PriceBook) -> None:
    rows = [
        row(input_tokens=1000, output_tokens=100, cache_read_tokens=400, response_model="gpt-4o-2024-08-06"),
        row(kind="embedding", request_model="text-embedding-3-small", input_tokens=5000),
        row(kind="agent", input_tokens=1000, output_tokens=100),
        row(kind="tool"),
        row(provider="self-hosted", request_model="house-model", input_tokens=300, output_tokens=30),
    ]
    apply_costs(rows, book)
    assert close(rows[0]["cost_usd"], (600 * 2.5 + 400 * 1.25 + 100 * 10) / M)
    assert rows[0]["cost_source"] == "computed"
    assert rows[0]["price_source"] == f"{LIBRARY_LABEL}: openai/gpt-4o"
    assert close(rows[1]["cost_usd"], 5000 * 0.02 / M)
    for aggregate in rows[2:4]:
        assert aggregate["cost_usd"] is None and aggregate["cost_source"] is None and aggregate["price_source"] is None
    assert close(rows[4]["cost_usd"], (300 * 1.0 + 30 * 2.0) / M)
    assert rows[4]["price_source"].startswith("override:")
    assert all(set(r) == set(COLUMN_NAMES) for r in rows)  # the stage adds no columns


def test_reported_cost_is_kept_unless_configured(book: PriceBook) -> None:
    reported = row(input_tokens=1000, output_tokens=100, cost_usd=0.5, cost_source="reported")
    no_source = row(input_tokens=1000, output_tokens=100, cost_usd=0.25)
    apply_costs([reported, no_source], book)
    assert (reported["cost_usd"], reported["cost_source"]) == (0.5, "reported")
    assert (no_source["cost_usd"], no_source["cost_source"]) == (0.25, "reported")
    recomputed = row(input_tokens=1000, output_tokens=100, cost_usd=0.5, cost_source="reported")
    apply_costs([recomputed], book, keep_reported=False)
    assert close(recomputed["cost_usd"], (1000 * 2.5 + 100 * 10) / M)
    assert recomputed["cost_source"] == "computed"
    # Recomputing is preferred, but a reported cost is not thrown away for an unknown one.
    unpriceable = row(request_model="my-finetune", input_tokens=10, output_tokens=1, cost_usd=0.75,
                      cost_source="reported")
    apply_costs([unpriceable], book, keep_reported=False)
    assert (unpriceable["cost_usd"], unpriceable["cost_source"]) == (0.75, "reported")


@pytest.mark.parametrize("bad", [float("nan"), -0.01, float("inf"), "0.5", True])
def test_unusable_reported_cost_is_recomputed(book: PriceBook, bad: object) -> None:
    r = row(input_tokens=1000, output_tokens=0, cost_usd=bad, cost_source="reported")
    apply_costs([r], book)
    assert close(r["cost_usd"], 1000 * 2.5 / M) and r["cost_source"] == "computed"


def test_response_model_first_then_request_model_and_unknown_counted_once(book: PriceBook) -> None:
    rows = [
        # A proxy renamed the served model: fall back to the requested one.
        row(response_model="gpt-4o-proxy-deployment", input_tokens=1000, output_tokens=0),
        row(request_model="my-finetune", response_model="my-finetune-2025", input_tokens=10, output_tokens=1),
        row(request_model=None, input_tokens=10, output_tokens=1),
    ]
    apply_costs(rows, book)
    assert close(rows[0]["cost_usd"], 1000 * 2.5 / M)
    assert rows[1]["cost_usd"] is None and rows[1]["cost_source"] == "unknown" and rows[1]["price_source"] is None
    assert rows[2]["cost_source"] == "unknown"
    assert book.unknown_models == {("openai", "my-finetune-2025"): 1, ("openai", None): 1}


def test_missing_and_invalid_usage_rows_are_unknown_not_free(book: PriceBook) -> None:
    rows = [row(), row(input_tokens=-5, output_tokens=1), row(input_tokens=10, output_tokens=1,
                                                              cache_read_tokens=11),
            row(input_tokens=0, output_tokens=0), row(input_tokens="ten", output_tokens=1)]
    apply_costs(rows, book)
    assert [r["cost_source"] for r in rows] == ["unknown", "unknown", "unknown", "computed", "unknown"]
    assert [r["cost_usd"] for r in rows] == [None, None, None, 0.0, None]
    assert not book.unknown_models  # the model was known; the usage was not


def test_each_row_is_priced_at_its_own_time(book: PriceBook) -> None:
    # o3 dropped from $10/$40 to $2/$8 on 2025-06-10 (UTC): one batch spanning the change.
    times = [ns(2025, 6, 9, 23), ns(2025, 6, 10, 0), ns(2025, 6, 9, 22), ns(2025, 6, 10, 1)]
    rows = [row(request_model="o3", input_tokens=1000, output_tokens=1000, start_ns=t) for t in times]
    apply_costs(rows, book)
    assert [round(r["cost_usd"] * M) for r in rows] == [50_000, 10_000, 50_000, 10_000]


def test_empty_batch_and_rows_missing_columns(book: PriceBook) -> None:
    apply_costs([], book)
    sparse: dict[str, Any] = {"kind": "llm", "request_model": "gpt-4o", "input_tokens": 4, "output_tokens": 0}
    apply_costs([sparse], book)
    assert close(sparse["cost_usd"], 4 * 2.5 / M) and sparse["cost_source"] == "computed"


def test_rows_from_the_real_normalizer(book: PriceBook) -> None:
    """Anthropic-style (cache beside input) and OpenAI-style (cache inside input) spans cost the same."""
    normalize = pytest.importorskip("genlens.semconv.normalize")
    from genlens.semconv.model import RawSpan

    at = ns(2025, 9, 1)
    common = {"gen_ai.operation.name": "chat", "gen_ai.usage.output_tokens": 50}
    spans = [
        {"gen_ai.provider.name": "anthropic", "gen_ai.request.model": "claude-3-5-sonnet-20241022",
         "gen_ai.usage.input_tokens": 200, "gen_ai.usage.cache_read.input_tokens": 800, **common},
        {"gen_ai.provider.name": "anthropic", "gen_ai.request.model": "claude-3-5-sonnet-20241022",
         "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.cache_read.input_tokens": 800, **common},
        {"openinference.span.kind": "LLM", "llm.provider": "openai", "llm.model_name": "gpt-4o",
         "llm.token_count.prompt": 1000, "llm.token_count.completion": 50, "llm.cost.total": 0.123},
    ]
    rows = [normalize.normalize_span(RawSpan(f"{i:032x}", f"{i:016x}", None, "chat", 3, at, at + 10**9, 0, "",
                                             attrs))[0] for i, attrs in enumerate(spans, 1)]
    apply_costs(rows, book)
    sonnet = (200 * 3 + 800 * 0.30 + 50 * 15) / M
    assert close(rows[0]["cost_usd"], sonnet) and close(rows[1]["cost_usd"], sonnet)
    assert rows[0]["cost_source"] == rows[1]["cost_source"] == "computed"
    assert (rows[2]["cost_usd"], rows[2]["cost_source"]) == (0.123, "reported")


def _normalized(attrs: dict[str, Any]) -> dict[str, Any]:
    from genlens.semconv.model import RawSpan
    from genlens.semconv.normalize import normalize_span

    at = ns(2025, 9, 1)
    base = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "self-hosted",
            "gen_ai.request.model": "house-model"}
    return normalize_span(RawSpan("1" * 32, "2" * 16, None, "chat", 3, at, at + 10**9, 0, "", {**base, **attrs}))[0]


@pytest.mark.parametrize("input_tokens", [-5, 10**12, 100_000_001, 100_000_001.0, "100000001", 2.5])
def test_refused_usage_is_unknown_not_priced_on_what_is_left(book: PriceBook, input_tokens: Any) -> None:
    r = _normalized({"gen_ai.usage.input_tokens": input_tokens, "gen_ai.usage.output_tokens": 10})
    assert r["input_tokens"] is None and r["output_tokens"] == 10  # what is left alone would price at 10 × $2/M
    apply_costs([r], book)
    assert (r["cost_usd"], r["cost_source"], r["price_source"]) == (None, "unknown", None)
    assert set(r) == set(COLUMN_NAMES)  # the refusal is consumed, never stored
    assert not book.unknown_models  # the model was known; the usage was not


def test_counts_at_the_bound_are_priced(book: PriceBook) -> None:
    r = _normalized({"gen_ai.usage.input_tokens": "100000000", "gen_ai.usage.output_tokens": 100_000_000.0})
    apply_costs([r], book)
    assert close(r["cost_usd"], 100_000_000 * 1.0 / M + 100_000_000 * 2.0 / M) and r["cost_source"] == "computed"


def test_refused_usage_keeps_a_reported_cost(book: PriceBook) -> None:
    reported = _normalized({"gen_ai.usage.input_tokens": -5, "gen_ai.usage.output_tokens": 10,
                            "app.llm.cost_usd": 0.25})
    recomputed = dict(reported)
    apply_costs([reported], book)
    apply_costs([recomputed], book, keep_reported=False)
    for r in (reported, recomputed):
        assert (r["cost_usd"], r["cost_source"]) == (0.25, "reported") and set(r) == set(COLUMN_NAMES)


def test_refused_usage_reason() -> None:
    from genlens.pricing.usage import refused_usage

    cost = refused_usage({"input_tokens": -5, "output_tokens": "x" * 500})
    assert cost.usd is None and cost.source == "unknown"
    assert cost.reason is not None and cost.reason.startswith("invalid usage: input_tokens -5, output_tokens 'xxx")
    assert len(cost.reason) <= 300
