"""Every cost aggregate over >= 100,000 LLM spans equals an independent computation to 1e-9 relative."""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from genlens.pricing import PriceBook
from genlens.query import cost_views
from genlens.query.cost import iso
from genlens.reports import render
from genlens.store.queries import CostQuery
from tests.cost.conftest import Filled
from tests.cost.workload import DAY, END, T0, WEEK2, expected_cost, expected_saving

TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens")
KEY_OF: dict[str, Callable[[dict[str, Any]], Any]] = {
    "feature": lambda r: r["feature"], "tenant": lambda r: r["tenant"], "provider": lambda r: r["provider"],
    "model": lambda r: r["response_model"] or r["request_model"], "prompt_sha": lambda r: r["prompt_sha"],
    "experiment_variant": lambda r: r["experiment_variant"], "service_version": lambda r: r["service_version"],
    "day": lambda r: iso(r["start_ns"] // DAY * DAY), "hour": lambda r: iso(r["start_ns"] // 3_600_000_000_000 * 3_600_000_000_000),
}


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def calls(filled: Filled, start: int = WEEK2, end: int = END, tenant: str = "*",
          **filters: str) -> list[dict[str, Any]]:
    return [r for r in filled.rows if r["kind"] == "llm" and start <= r["start_ns"] < end
            and (tenant == "*" or r["tenant"] == tenant) and all(r.get(k) == v for k, v in filters.items())]


def independent(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(KEY_OF[k](row) for k in keys)].append(row)
    out = {}
    for key, members in groups.items():
        costs = [r["_expected"] for r in members]
        known = [c for c in costs if c is not None]
        out[key] = {"calls": len(members), "unknown_cost_calls": len(costs) - len(known),
                    "cost_usd": math.fsum(known) if known else None,
                    **{t: sum(r[t] for r in members) for t in TOKENS}}
    return out


def assert_rows_match(got_rows: list[dict[str, Any]], want: dict[tuple[Any, ...], dict[str, Any]],
                      keys: tuple[str, ...]) -> None:
    got = {tuple(r[k] for k in keys): r for r in got_rows}
    assert set(got) == set(want)
    for key, expect in want.items():
        row = got[key]
        assert row["calls"] == expect["calls"], key
        assert row["unknown_cost_calls"] == expect["unknown_cost_calls"], key
        assert close(row["cost_usd"], expect["cost_usd"]), (key, row["cost_usd"], expect["cost_usd"])
        for t in TOKENS:
            assert row[t] == expect[t], (key, t)


def test_workload_is_big_enough(planted: Filled) -> None:
    assert len(calls(planted)) >= 100_000
    unknown = [r for r in calls(planted) if expected_cost(r) is None]
    assert unknown and all(r["cost_usd"] is None and r["cost_source"] == "unknown" for r in unknown)


def test_every_span_priced_as_the_independent_formula(planted: Filled) -> None:
    for row in calls(planted, T0, END):
        assert close(row["cost_usd"], expected_cost(row)), row


@pytest.mark.parametrize("keys", [
    ("feature",), ("feature", "prompt_sha"), ("tenant",), ("model",), ("provider",), ("experiment_variant",),
    ("service_version",), ("day",), ("day", "feature"), ("hour",), (),
])
def test_grouped_cost_matches(planted: Filled, keys: tuple[str, ...]) -> None:
    table = cost_views.cost_table(planted.store, CostQuery("*", WEEK2, END, keys, limit=10_000))
    want = independent(calls(planted), keys)
    assert not table["truncated"]
    if keys:
        assert_rows_match(table["rows"], want, keys)
    assert_rows_match([table["total"]], independent(calls(planted), ()), ())


def test_tenant_scope_and_filters(planted: Filled) -> None:
    q = CostQuery("acme", WEEK2 + DAY, END - DAY, ("feature", "prompt_sha"),
                  filters=(("provider", "openai"), ("experiment_variant", "b")), model="gpt-4o-mini")
    want = independent([r for r in calls(planted, WEEK2 + DAY, END - DAY, "acme", provider="openai",
                                         experiment_variant="b") if r["request_model"] == "gpt-4o-mini"],
                       ("feature", "prompt_sha"))
    assert_rows_match(cost_views.cost_table(planted.store, q)["rows"], want, ("feature", "prompt_sha"))


def test_unpriced_group_is_unknown_not_zero(planted: Filled) -> None:
    q = CostQuery("*", WEEK2, END, ("model",), model="mystery-model-x")
    (row,) = cost_views.cost_table(planted.store, q)["rows"]
    assert row["cost_usd"] is None and row["unknown_cost_calls"] == row["calls"] > 0


def test_cache_hit_rate_and_savings(planted: Filled) -> None:
    book = PriceBook.load(planted.price_file)
    table = cost_views.cache_table(planted.store, book, CostQuery("*", WEEK2, END, ("feature", "model")))
    rows = calls(planted)
    for got in table["rows"]:
        members = [r for r in rows if r["feature"] == got["feature"] and KEY_OF["model"](r) == got["model"]]
        inp = sum(r["input_tokens"] for r in members)
        assert close(got["cache_hit_rate"], sum(r["cache_read_tokens"] for r in members) / inp)
        savings = [s for r in members if (s := expected_saving(r)) is not None]
        unpriced = sum(r["cache_read_tokens"] for r in members if r["_price_key"] is None)
        assert got["cache_read_tokens_unpriced"] == unpriced
        if got["model"] == "mystery-model-x":  # nothing priced: unknown, never $0
            assert got["cache_saved_usd"] is None and unpriced > 0
        else:
            assert close(got["cache_saved_usd"], math.fsum(savings)), got
    assert len(table["rows"]) == len({(r["feature"], KEY_OF["model"](r)) for r in rows})
    by_feature = cost_views.cache_table(planted.store, book, CostQuery("*", WEEK2, END, ("feature",)))
    for got in by_feature["rows"]:  # priced savings summed, the unknown model's cache reads counted beside
        members = [r for r in rows if r["feature"] == got["feature"]]
        assert close(got["cache_saved_usd"], math.fsum(s for r in members if (s := expected_saving(r)) is not None))
        assert got["cache_read_tokens_unpriced"] == sum(r["cache_read_tokens"] for r in members
                                                        if r["_price_key"] is None) > 0
    total = by_feature["total"]
    assert close(total["cache_saved_usd"], math.fsum(s for r in rows if (s := expected_saving(r)) is not None))


def test_top_users_and_conversations(planted: Filled) -> None:
    rows = calls(planted, tenant="globex")
    per_user = independent([r for r in rows if r["user_id"]], ())
    by_user: dict[str, float] = defaultdict(float)
    for r in rows:
        by_user[r["user_id"]] += expected_cost(r) or 0.0
    top = cost_views.users_table(planted.store, CostQuery("globex", WEEK2, END), 5)["users"]
    assert [u["user_id"] for u in top] == sorted(by_user, key=lambda u: -by_user[u])[:5]
    assert per_user  # the scope is not empty
    for u in top:
        assert close(u["cost_usd"], math.fsum(expected_cost(r) or 0.0 for r in rows if r["user_id"] == u["user_id"]))

    convs = cost_views.conversations_table(planted.store, CostQuery("acme", WEEK2, END), 3)["conversations"]
    assert convs[0]["conversation_id"] == "conv-runaway"
    members = [r for r in calls(planted, tenant="acme") if r["conversation_id"] == "conv-runaway"]
    assert convs[0]["total_tokens"] == sum(r["input_tokens"] + r["output_tokens"] for r in members)
    detail = cost_views.conversation_detail(planted.store, CostQuery("acme", WEEK2, END), "conv-runaway", 1000)
    running = 0
    for turn, row in zip(detail["turns"], sorted(members, key=lambda r: r["start_ns"]), strict=True):
        running += row["input_tokens"] + row["output_tokens"]
        assert turn["cumulative_tokens"] == running


def test_month_to_date_and_projection(planted: Filled) -> None:
    at = END  # 2026-10-19 00:00 UTC: 18 of October's 31 days
    got = cost_views.month_to_date(planted.store, CostQuery("*", T0, END), at)
    spent = math.fsum(c for r in calls(planted, T0, END) if (c := expected_cost(r)) is not None)
    assert close(got["month_to_date_usd"], spent)
    assert close(got["projected_month_usd"], spent * 31 / 18)
    assert got["month_start"] == "2026-10-01T00:00:00Z" and got["month_end"] == "2026-11-01T00:00:00Z"


def test_report_formats_carry_the_same_numbers(planted: Filled) -> None:
    book = PriceBook.load(planted.price_file)
    report = cost_views.report(planted.store, book, CostQuery("*", WEEK2, END))
    want = independent(calls(planted), ("feature",))
    assert_rows_match(report["by_feature"], want, ("feature",))
    costs = [r["cost_usd"] for r in report["by_feature"]]
    assert costs == sorted(costs, reverse=True)
    assert_rows_match(report["by_tenant"], independent(calls(planted), ("tenant",)), ("tenant",))
    assert_rows_match(report["by_feature_prompt"], independent(calls(planted), ("feature", "prompt_sha")),
                      ("feature", "prompt_sha"))

    as_json = orjson.loads(render.as_json(report))
    assert as_json["by_feature"] == report["by_feature"]
    parsed = list(csv.DictReader(io.StringIO(render.as_csv(report))))
    for row in (r for r in parsed if r["table"] == "by_feature"):
        ref = next(r for r in report["by_feature"] if r["feature"] == row["feature"])
        assert float(row["cost_usd"]) == ref["cost_usd"] and int(row["calls"]) == ref["calls"]
    assert {r["table"] for r in parsed} == {"total", "by_feature", "by_feature_prompt", "by_tenant",
                                            "cache_by_feature"}
    text = render.markdown(report)
    assert text.count("\n## ") == 5
    top = report["by_feature"][0]
    assert f"| {top['feature']} | ${top['cost_usd']:,.6f} | {top['calls']:,} |" in text
    assert "never counted as $0" in text
