"""Small pure pieces of the UI: derived dashboard figures, formatting, URL state, the facet cache bound,
the tenant scope's rule."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any

import pytest

from genlens.errors import BadRequest, Forbidden, NotFound
from genlens.query.conversations import user_text, with_running_totals
from genlens.query.cost import month_projection
from genlens.query.facets import FACET_CACHE_MAX, FacetCache
from genlens.query.overview import bucket_ns_for, slope
from genlens.server.scope import TenantScope, check_tenant, resolve
from genlens.server.ui.params import Filters
from genlens.server.ui.render import fmt_duration_ns, fmt_usd, tenant_qs, to_json
from genlens.store.queries import ALL_TENANTS

EVERY = TenantScope(ALL_TENANTS)


def test_slope_is_the_least_squares_fit() -> None:
    assert slope([]) == 0.0 and slope([3.0]) == 0.0
    assert slope([1.0, 2.0, 3.0, 4.0]) == pytest.approx(1.0)
    ys = [2.0, 1.0, 4.0, 3.0, 7.0]
    xs = range(len(ys))
    mx, my = sum(xs) / len(ys), sum(ys) / len(ys)
    expected = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    assert slope(ys) == pytest.approx(expected)


def _ns(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp()) * 10**9  # type: ignore[misc]


@pytest.mark.parametrize(("at", "spent"), [((2028, 2, 10, 12), 95.0), ((2026, 12, 31, 18), 3.0), ((2026, 4, 1, 1), 0.5),
                                           ((2026, 2, 28, 23, 59, 59), 50.0)])
def test_month_end_projection_extends_the_month_to_date_rate(at: tuple[int, ...], spent: float) -> None:
    # Independently: the month's length in hours from the calendar, the hours elapsed from a timedelta.
    moment = datetime(*at, tzinfo=UTC)  # type: ignore[misc]
    first = moment.replace(day=1, hour=0, minute=0, second=0)
    month_hours = calendar.monthrange(moment.year, moment.month)[1] * 24
    elapsed_hours = (moment - first).total_seconds() / 3600
    got = month_projection(spent, _ns(*at))
    assert got["projected_month_usd"] == pytest.approx(spent / elapsed_hours * month_hours, rel=1e-12)
    assert got["month_start"] == first.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert got["elapsed_fraction"] == pytest.approx(elapsed_hours / month_hours, rel=1e-12)


def test_month_end_projection_is_unknown_in_the_first_hour_or_without_a_spend() -> None:
    assert month_projection(10.0, _ns(2026, 3, 1, 0, 59, 59))["projected_month_usd"] is None
    assert month_projection(None, _ns(2026, 3, 15))["projected_month_usd"] is None
    assert month_projection(0.0, _ns(2026, 3, 15))["projected_month_usd"] == 0.0


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
    f = Filters.parse({"range": "7d", "feature": " search ", "service": "", "refresh": "30"}, EVERY)
    assert f.feature == "search" and f.service is None
    assert f.qs() == "range=7d&feature=search&refresh=30"
    assert Filters.parse(dict(pair.split("=") for pair in f.qs().split("&")), EVERY) == f
    assert f.qs(feature=None, offset=50) == "range=7d&refresh=30&offset=50"
    assert Filters.parse({}, EVERY).qs() == ""
    with pytest.raises(BadRequest):
        Filters.parse({"range": "1h", "start": "2026-01-02", "end": "2026-01-01"}, EVERY).window(0)
    # the tenant is the scope's, never read from the parameters a second time
    acme = Filters.parse({"tenant": "other"}, TenantScope("acme", "acme"))
    assert (acme.tenant, acme.scope, acme.qs()) == ("acme", "acme", "tenant=acme")
    assert acme.span_filter(10**18).tenant == "acme" and Filters.parse({}, EVERY).span_filter(10**18).tenant == "*"
    assert tenant_qs("a b&c") == "?tenant=a+b%26c" and tenant_qs(None, "&") == ""


def test_the_scope_is_every_tenant_unless_one_is_named() -> None:
    assert resolve(None, None) == TenantScope("*", None)
    assert resolve("*", None) == TenantScope("*", None)
    assert resolve("acme", None) == TenantScope("acme", "acme")
    assert check_tenant("  acme ") == "acme" and check_tenant("") is None and check_tenant(None) is None
    assert check_tenant("Äcme corp/eu-1") == "Äcme corp/eu-1"
    for hostile in ("x" * 201, "a\x00b", "line\nbreak", "tab\there", "\x1b[31m"):
        with pytest.raises(BadRequest):
            check_tenant(hostile)


def test_a_grant_narrows_the_scope_and_is_never_widened() -> None:
    one, two = frozenset({"acme"}), frozenset({"acme", "globex"})
    assert resolve(None, one) == TenantScope("acme", None)
    assert resolve("acme", two) == TenantScope("acme", "acme")
    with pytest.raises(NotFound):
        resolve("globex", one)
    with pytest.raises(BadRequest):
        resolve(None, two)
    for granted in (one, two):  # every tenant is for admin keys (their grant is None)
        with pytest.raises(Forbidden):
            resolve("*", granted)


def test_facet_cache_is_bounded_and_counts_evictions() -> None:
    calls: list[str] = []

    class FakeStore:
        def facet_values(self, tenant: str, since_ns: int) -> dict[str, list[str]]:
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


def test_span_links_of_any_shape_are_listed_and_only_real_ids_become_anchors() -> None:
    from genlens.query.span_view import _links

    good = {"trace_id": "a" * 32, "span_id": "b" * 16, "attributes": {"k": "<script>x</script>"}}
    links = _links([good, {"trace_id": "../../etc", "span_id": "x"}, "not a link", {"trace_id": None}, 7])
    assert [link.href for link in links] == [f"/traces/{'a' * 32}?span={'b' * 16}", None, None]
    assert "<script>" in links[0].attributes  # raw here; the template escapes it
    assert _links("not a list") == [] and _links(None) == []
