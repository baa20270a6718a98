"""Small pure pieces of the UI: derived dashboard figures, formatting, URL state, the facet cache bound."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any

import pytest

from genlens.errors import BadRequest
from genlens.query.overview import bucket_ns_for, month_end_projection, slope
from genlens.server.ui.params import Filters
from genlens.server.ui.render import fmt_duration_ns, fmt_usd, to_json
from genlens.server.ui.views_overview import FACET_CACHE_MAX, FacetCache
from genlens.server.ui.views_sessions import user_text, with_running_totals


def test_slope_is_the_least_squares_fit() -> None:
    assert slope([]) == 0.0 and slope([3.0]) == 0.0
    assert slope([1.0, 2.0, 3.0, 4.0]) == pytest.approx(1.0)
    ys = [2.0, 1.0, 4.0, 3.0, 7.0]
    xs = range(len(ys))
    mx, my = sum(xs) / len(ys), sum(ys) / len(ys)
    expected = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    assert slope(ys) == pytest.approx(expected)


def test_month_end_projection_adds_the_daily_rate_for_the_days_left() -> None:
    noon_10th = int(datetime(2026, 2, 10, 12, tzinfo=UTC).timestamp()) * 10**9
    days_left = calendar.monthrange(2026, 2)[1] - 9.5
    assert month_end_projection(100.0, 4.0, noon_10th) == pytest.approx(100.0 + 4.0 * days_left)
    last_instant = int(datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC).timestamp()) * 10**9
    assert month_end_projection(50.0, 10.0, last_instant) == pytest.approx(50.0, abs=0.01)


def test_buckets_are_round_and_about_sixty_per_window() -> None:
    assert bucket_ns_for(3600 * 10**9) == 60 * 10**9
    assert bucket_ns_for(86400 * 10**9) == 1800 * 10**9
    assert bucket_ns_for(7 * 86400 * 10**9) == 3 * 3600 * 10**9
    assert bucket_ns_for(10**6 * 86400 * 10**9) == 86400 * 10**9  # never wider than a day


def test_formatting() -> None:
    assert fmt_usd(None) == "–" and fmt_usd(0) == "$0" and fmt_usd(0.00001234) == "$0.000012"
    assert fmt_usd(0.0042) == "$0.0042" and fmt_usd(12.345) == "$12.35" and fmt_usd(1234.5) == "$1,234"
    assert fmt_duration_ns(1_500) == "2 µs" and fmt_duration_ns(2_500_000) == "2 ms"
    assert fmt_duration_ns(1.25e9) == "1.25 s" and fmt_duration_ns(90e9) == "1.5 min"


def test_embedded_json_cannot_close_its_script_block() -> None:
    text = to_json({"name": "</script><!--<script>&"})
    assert "<" not in text and ">" not in text and "&" not in text


def test_url_state_round_trips_and_drops_defaults() -> None:
    f = Filters.parse({"range": "7d", "feature": " search ", "service": "", "refresh": "30"})
    assert f.feature == "search" and f.service is None
    assert f.qs() == "range=7d&feature=search&refresh=30"
    assert Filters.parse(dict(pair.split("=") for pair in f.qs().split("&"))) == f
    assert f.qs(feature=None, offset=50) == "range=7d&refresh=30&offset=50"
    assert Filters.parse({}).qs() == ""
    with pytest.raises(BadRequest):
        Filters.parse({"range": "1h", "start": "2026-01-02", "end": "2026-01-01"}).window(0)


def test_facet_cache_is_bounded_and_counts_evictions() -> None:
    calls: list[str] = []

    class FakeStore:
        def ui_facets(self, tenant: str, since_ns: int) -> dict[str, list[str]]:
            calls.append(tenant)
            return {"feature": [tenant]}

    cache = FacetCache(FakeStore())  # type: ignore[arg-type]
    for i in range(FACET_CACHE_MAX + 5):
        assert cache.get(f"t{i}") == {"feature": [f"t{i}"]}
    assert len(cache._entries) == FACET_CACHE_MAX and cache.evictions == 5
    cache.get(f"t{FACET_CACHE_MAX + 4}")
    assert len(calls) == FACET_CACHE_MAX + 5  # a fresh entry is served from the cache


def test_user_text_and_running_totals_with_hostile_shapes() -> None:
    msgs: Any = [{"role": "system", "parts": [{"type": "text", "content": "sys"}]},
                 {"role": "user", "parts": [{"type": "text", "content": "first"}]},
                 {"role": "user", "parts": [{"type": "text", "content": "x" * 1000}, {"type": "image"}]}]
    said = user_text(msgs)
    assert said is not None and said.endswith("…") and len(said) == 281
    for junk in (None, "text", [1, 2], [{"role": "user", "parts": "nope"}], [{"role": "user", "parts": [{"content": 5}]}]):
        assert user_text(junk) is None
    turns = with_running_totals([{"total_tokens": 10, "cost_usd": None}, {"total_tokens": None, "cost_usd": 0.5},
                                 {"total_tokens": 5, "cost_usd": 0.25}])
    assert [t["cumulative_tokens"] for t in turns] == [10, 10, 15]
    assert [t["cumulative_cost_usd"] for t in turns] == [None, 0.5, 0.75]
