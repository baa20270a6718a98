"""Contract: call series per (bucket, slice) equal a Python count of the same rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest

from genlens.store.base import Store, WriteBatch
from genlens.store.queries import ALL_TENANTS, SeriesQuery
from tests.store.test_sli import NOW, S, _rows

BOUNDS = (0.25, 1.0, 3.0)
BUCKET = 3600 * S


def _model(row: dict[str, Any]) -> Any:
    return row["request_model"] if row["request_model"] is not None else row["response_model"]


def _expected(rows: list[dict[str, Any]], tenant: str, start: int, end: int) -> dict[tuple[Any, ...], dict[str, Any]]:
    out: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(lambda: {
        "calls": 0, "errors": 0, "refusals": 0, "input_tokens": 0, "cost_usd": 0.0, "ttft_count": 0,
        "ttft_le": [0] * len(BOUNDS), "latency_count": 0, "latency_le": [0] * len(BOUNDS), "error_traces": [],
        "refusal_traces": [], "ttft": [], "latency": [], "cost": []})
    for r in rows:
        if not (start <= r["start_ns"] < end) or r["kind"] not in ("llm", "embedding"):
            continue
        if tenant != ALL_TENANTS and r["tenant"] != tenant:
            continue
        slot = out[(r["start_ns"] // BUCKET * BUCKET, r["provider"], _model(r))]
        slot["calls"] += 1
        slot["errors"] += r["status"] == "error" and r["error_class"] not in ("validation", "guardrail")
        slot["refusals"] += "content_filter" in (r["finish_reasons"] or [])
        slot["input_tokens"] += r["input_tokens"] or 0
        slot["cost_usd"] += r["cost_usd"] or 0.0
        if r["status"] == "error" and r["error_class"] not in ("validation", "guardrail"):
            slot["error_traces"].append(r["trace_id"])
        if "content_filter" in (r["finish_reasons"] or []):
            slot["refusal_traces"].append(r["trace_id"])
        if r["cost_usd"] is not None:
            slot["cost"].append((r["cost_usd"], r["trace_id"]))
        slot["latency"].append((r["duration_ns"] / 1e9, r["trace_id"]))
        if r["ttft_s"] is not None:
            slot["ttft"].append((r["ttft_s"], r["trace_id"]))
            slot["ttft_count"] += 1
            slot["ttft_le"] = [n + (r["ttft_s"] <= b) for n, b in zip(slot["ttft_le"], BOUNDS, strict=True)]
        slot["latency_count"] += 1
        seconds = r["duration_ns"] / 1e9
        slot["latency_le"] = [n + (seconds <= b) for n, b in zip(slot["latency_le"], BOUNDS, strict=True)]
    return out


@pytest.mark.parametrize("tenant", ["a", ALL_TENANTS])
def test_call_series_equal_python(new_store: Callable[[str], Store], tenant: str) -> None:
    rows = _rows(3000, seed=5)
    store = new_store("series")
    try:
        store.write(WriteBatch(spans=[dict(r) for r in rows]))
        start, end = NOW - 2 * 86400 * S, NOW
        got = store.call_series(SeriesQuery(tenant, start, end, BUCKET, ("provider", "model"), BOUNDS))
        want = _expected(rows, tenant, start, end)
        assert len(got) == len(want) > 20
        for row in got:
            slot = want[(row["bucket"], row["provider"], row["model"])]
            for name in ("calls", "errors", "refusals", "input_tokens", "ttft_count", "latency_count"):
                assert row[name] == slot[name], name
            assert list(row["ttft_le"]) == slot["ttft_le"] and list(row["latency_le"]) == slot["latency_le"]
            assert row["cost_usd"] == pytest.approx(slot["cost_usd"], rel=1e-9, abs=1e-12)
            # examples: the largest failing / refused trace id; the top call by value, largest id among ties
            assert row["error_trace"] == max(slot["error_traces"], default=None)
            assert row["refusal_trace"] == max(slot["refusal_traces"], default=None)
            for example, value, name in (("slow_ttft_trace", "slow_ttft_s", "ttft"), ("slow_trace", "slow_s", "latency"),
                                         ("cost_trace", "cost_max", "cost")):
                top = max(slot[name], default=(None, None))
                assert (row[example], row[value]) == (top[1], pytest.approx(top[0]) if top[0] is not None else None)
        assert sum(r["errors"] for r in got) > 0 and sum(r["refusals"] for r in got) > 0
    finally:
        store.close()


@pytest.mark.parametrize("bad", [
    {"group_by": ("user_id",)}, {"bucket_ns": 0}, {"bounds": (1.0, 0.5)}, {"bounds": (1.0, 1.0)},
])
def test_series_query_refuses_bad_descriptions(bad: dict[str, Any]) -> None:
    fields = {"tenant": "a", "start_ns": 0, "end_ns": 1, "bucket_ns": S, "group_by": (), "bounds": ()} | bad
    with pytest.raises(ValueError):
        SeriesQuery(**fields)
