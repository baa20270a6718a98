"""Store contract suite, second slice: the rest of the trace readers, every analytics reader and the
findings reader, against answers computed in Python from the rows written (never by asking the store).

Parametrized over the backends of ``tests/store/conftest.py``, like ``test_contract.py``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from genlens.semconv.canonical import empty_row
from genlens.store.base import Store, WriteBatch
from genlens.store.queries import ALL_TENANTS, CostQuery, SpanFilter
from genlens.timeparse import NS_PER_DAY, NS_PER_HOUR
from tests.store.conftest import open_store

T0 = 1_764_028_800 * 10**9  # a UTC midnight
TENANTS = ("acme", "globex")


def _data(rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]],
                                       list[dict[str, Any]]]:
    spans, content, logs, metrics = [], [], [], []
    for t in range(40):
        tenant = TENANTS[t % 2]
        trace_id = f"{t:032x}"
        conv = f"conv-{t % 7}" if t % 5 else None
        start = T0 + rng.randrange(0, 3 * NS_PER_DAY)
        for k in range(rng.randrange(1, 5)):
            r = empty_row()
            s = start + k * 10**9
            llm = k > 0 or rng.random() < 0.3
            r.update(
                tenant=tenant, trace_id=trace_id, span_id=f"{t:08x}{k:08x}", parent_span_id=None if k == 0 else f"{t:08x}{0:08x}",
                name="chat" if llm else "request", kind="llm" if llm else "chain", start_ns=s, end_ns=s + 5 * 10**8 + k,
                duration_ns=5 * 10**8 + k, status="error" if rng.random() < 0.15 else "ok",
                error_class="api" if rng.random() < 0.1 else None, service_name=rng.choice(["api", "worker"]),
                environment="prod", feature=rng.choice(["chat", "search", None]), provider="openai",
                request_model=rng.choice(["m1", "m2"]), response_model=rng.choice([None, "m1"]),
                user_id=rng.choice(["u1", "u2", "u3", None]), conversation_id=conv,
                input_tokens=rng.randrange(1, 900) if llm else None, output_tokens=rng.randrange(1, 300) if llm else None,
                cache_read_tokens=rng.choice([0, 100, 250]) if llm else None,
                cost_usd=rng.choice([None, 0.001 * rng.randrange(1, 90)]) if llm else None,
            )
            r["total_tokens"] = (r["input_tokens"] or 0) + (r["output_tokens"] or 0) if llm else None
            spans.append(r)
            if llm:
                for j in range(2):
                    content.append({"tenant": tenant, "trace_id": trace_id, "span_id": r["span_id"], "time_ns": s + j,
                                    "kind": "input_messages", "source": "test",
                                    "data": [{"role": "user", "parts": [{"type": "text", "content": f"{t}-{k}-{j}"}]}]})
        logs.append({"tenant": tenant, "time_ns": start, "trace_id": trace_id, "span_id": None, "service_name": "api",
                     "severity_text": "INFO", "event_name": "e", "body": {"n": t}, "attributes": {},
                     "resource_attributes": {}})
        metrics.append({"tenant": tenant, "time_ns": start, "start_ns": start, "service_name": "api", "scope_name": "s",
                        "name": f"m{t % 3}", "description": "", "unit": "1", "type": "sum", "temporality": "delta",
                        "is_monotonic": True, "value": float(t), "count": None, "sum": None, "min": None, "max": None,
                        "bucket_counts": None, "explicit_bounds": None, "extra": None, "attributes": {},
                        "resource_attributes": {}})
    # calls in partial hours at both ends of a window (the edges a rollup cannot answer)
    for n, at in enumerate((T0 + 10 * 60 * 10**9, T0 + 2 * NS_PER_DAY + 5 * 60 * 10**9, T0 + 7 * 60 * 10**9 - 1)):
        r = empty_row()
        r.update(tenant="acme", trace_id=f"{100 + n:032x}", span_id=f"{100 + n:016x}", name="chat", kind="llm",
                 start_ns=at, end_ns=at + 10**8, duration_ns=10**8, status="ok", service_name="api",
                 environment="prod", feature="chat", provider="openai", request_model="m1", input_tokens=500,
                 output_tokens=20, total_tokens=520, cache_read_tokens=300 + n, cost_usd=0.01)
        spans.append(r)
    return spans, content, logs, metrics


SPANS, CONTENT, LOGS, METRICS = _data(random.Random(21))
FINDINGS = [
    {"id": f"f{i}", "kind": ("cost_spike", "cache_drop")[i % 2], "severity": "warning", "tenant": TENANTS[i % 2],
     "feature": ("chat", "search", None)[i % 3], "prompt_sha": None, "conversation_id": None,
     "window_start_ns": T0 + i * NS_PER_HOUR * 10, "window_end_ns": T0 + (i * 10 + 1) * NS_PER_HOUR,
     "observed": 2.0, "baseline": 1.0, "ratio": 2.0, "unit": "usd", "example_trace_ids": [f"{i:032x}"],
     "first_detected_ns": T0 + i, "detected_at_ns": T0 + 100 * i, "details": {"i": i}}
    for i in range(6)
]


@pytest.fixture(scope="module")
def store(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    s = open_store(backend, tmp_path_factory.mktemp("readers"))
    for i in range(0, len(SPANS), 9):
        s.write(WriteBatch(spans=SPANS[i:i + 9]))
    s.write(WriteBatch(content=CONTENT, logs=LOGS, metrics=METRICS))
    s.write(WriteBatch(findings=FINDINGS))
    yield s
    s.close()


def _scoped(tenant: str) -> list[dict[str, Any]]:
    return [s for s in SPANS if tenant == ALL_TENANTS or s["tenant"] == tenant]


def _calls(q: CostQuery) -> list[dict[str, Any]]:
    return [s for s in _scoped(q.tenant) if s["kind"] in ("llm", "embedding") and q.start_ns <= s["start_ns"] < q.end_ns]


WEEK = CostQuery("acme", T0, T0 + 7 * NS_PER_DAY)


@pytest.mark.parametrize("tenant", ["acme", ALL_TENANTS])
def test_first_inputs_are_the_earliest_input_record_of_each_trace(store: Store, tenant: str) -> None:
    ids = sorted({s["trace_id"] for s in SPANS})[:12]
    got = {r["trace_id"]: orjson.loads(r["data"]) if isinstance(r["data"], str) else r["data"]
           for r in store.first_inputs(tenant, ids)}
    expected = {}
    for trace_id in ids:
        records = [c for c in CONTENT if c["trace_id"] == trace_id and (tenant == ALL_TENANTS or c["tenant"] == tenant)]
        if records:
            expected[trace_id] = min(records, key=lambda c: c["time_ns"])["data"]
    assert got == expected
    assert store.first_inputs(tenant, []) == []


def test_logs_and_metric_points_newest_first_and_scoped(store: Store) -> None:
    logs = store.logs("acme", None, 5)
    expected = sorted((x for x in LOGS if x["tenant"] == "acme"), key=lambda x: -x["time_ns"])[:5]
    assert [x["time_ns"] for x in logs] == [x["time_ns"] for x in expected]
    one = LOGS[0]
    assert [x["trace_id"] for x in store.logs(one["tenant"], one["trace_id"], 10)] == [one["trace_id"]]
    assert len(store.logs(ALL_TENANTS, None, 1000)) == len(LOGS)
    points = store.metric_points("globex", "m1", 100)
    expected_m = sorted((m for m in METRICS if m["tenant"] == "globex" and m["name"] == "m1"), key=lambda m: -m["time_ns"])
    assert [p["value"] for p in points] == [m["value"] for m in expected_m]
    assert len(store.metric_points(ALL_TENANTS, None, 3)) == 3


def test_active_conversations_one_row_per_tenant_and_conversation_most_recent_first(store: Store) -> None:
    f = SpanFilter(tenant=ALL_TENANTS, start_ns=T0, end_ns=T0 + 7 * NS_PER_DAY)
    rows = store.active_conversations(f, 100, 0)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for s in SPANS:
        if s["conversation_id"] is not None:
            groups.setdefault((s["tenant"], s["conversation_id"]), []).append(s)
    expected = sorted(groups.items(), key=lambda kv: (-max(s["end_ns"] for s in kv[1]), kv[0][1], kv[0][0]))
    assert [(r["tenant"], r["conversation_id"]) for r in rows] == [k for k, _ in expected]
    for r, (_, g) in zip(rows, expected, strict=True):
        assert r["turns"] == len({s["trace_id"] for s in g})
        assert r["tokens"] == sum(s["total_tokens"] or 0 for s in g)
        assert r["errors"] == sum(s["status"] == "error" for s in g)
    page = store.active_conversations(f, 3, 2)
    assert [(r["tenant"], r["conversation_id"]) for r in page] == [k for k, _ in expected][2:6]  # limit + 1 rows


def test_top_users_by_cost(store: Store) -> None:
    rows = store.top_users(WEEK, 10)
    by_user: dict[str, list[dict[str, Any]]] = {}
    for s in _calls(WEEK):
        if s["user_id"] is not None:
            by_user.setdefault(s["user_id"], []).append(s)
    for r in rows:
        g = by_user[r["user_id"]]
        costs = [s["cost_usd"] for s in g if s["cost_usd"] is not None]
        assert r["calls"] == len(g)
        assert r["cost_usd"] == pytest.approx(math.fsum(costs) if costs else None, rel=1e-12)
        assert r["input_tokens"] == sum(s["input_tokens"] or 0 for s in g)
    assert {r["user_id"] for r in rows} == set(by_user)
    assert [r["cost_usd"] or 0 for r in rows] == sorted((r["cost_usd"] or 0 for r in rows), reverse=True)


@pytest.mark.parametrize("order_by", ["cost", "tokens"])
def test_top_conversations_with_cumulative_tokens(store: Store, order_by: str) -> None:
    q = CostQuery(ALL_TENANTS, T0, T0 + 7 * NS_PER_DAY)
    rows = store.top_conversations(q, 50, order_by)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for s in _calls(q):
        if s["conversation_id"] is not None:
            groups.setdefault((s["tenant"], s["conversation_id"]), []).append(s)
    assert {(r["tenant"], r["conversation_id"]) for r in rows} == set(groups)
    for r in rows:
        g = groups[(r["tenant"], r["conversation_id"])]
        assert r["total_tokens"] == sum(s["total_tokens"] for s in g)
        assert r["last_trace_id"] == max(g, key=lambda s: s["start_ns"])["trace_id"]
    key = "total_tokens" if order_by == "tokens" else "cost_usd"
    values = [r[key] or 0 for r in rows]
    assert values == sorted(values, reverse=True)
    big = store.top_conversations(q, 50, "tokens", min_tokens=2000, min_calls=None)
    assert {(r["tenant"], r["conversation_id"]) for r in big} == {
        k for k, g in groups.items() if sum(s["total_tokens"] for s in g) >= 2000}


def test_conversation_turns_are_the_last_calls_with_running_totals(store: Store) -> None:
    conv = "conv-3"
    turns = store.conversation_turns("globex", [conv], T0, T0 + 7 * NS_PER_DAY, 4)
    calls = sorted((s for s in SPANS if s["tenant"] == "globex" and s["conversation_id"] == conv
                    and s["kind"] == "llm"), key=lambda s: (s["start_ns"], s["span_id"]))
    running, cumulative = 0, []
    for s in calls:
        running += s["total_tokens"]
        cumulative.append(running)
    assert [t["span_id"] for t in turns] == [s["span_id"] for s in calls[-4:]]
    assert [t["cumulative_tokens"] for t in turns] == cumulative[-4:]
    assert store.conversation_turns("globex", [], T0, T0 + NS_PER_DAY, 4) == []


def test_example_traces_are_those_of_the_most_expensive_calls(store: Store) -> None:
    got = store.example_traces(WEEK, 3)
    best: dict[str, float] = {}
    for s in _calls(WEEK):
        if s["cost_usd"] is not None:
            best[s["trace_id"]] = max(best.get(s["trace_id"], 0.0), s["cost_usd"])
    expected = sorted(best, key=lambda t: (-best[t], t))[:3]
    assert got == expected
    by_tokens = store.example_traces(WEEK, 2, by="tokens")
    tokens: dict[str, int] = {}
    for s in _calls(WEEK):
        tokens[s["trace_id"]] = max(tokens.get(s["trace_id"], 0), s["total_tokens"])
    assert by_tokens == sorted(tokens, key=lambda t: (-tokens[t], t))[:2]


@pytest.mark.parametrize("q", [
    CostQuery("acme", T0, T0 + 7 * NS_PER_DAY, ("feature",)),  # whole hours: from the rollup
    CostQuery("acme", T0 + 7 * 60 * 10**9, T0 + 2 * NS_PER_DAY + 13 * 60 * 10**9, ("feature", "model")),  # and edges
    CostQuery(ALL_TENANTS, T0 + 1, T0 + 3 * NS_PER_DAY, ("tenant",), (("service", "api"),)),
    CostQuery("globex", T0, T0 + 5 * NS_PER_DAY, (), (("user_id", "u1"),)),  # not a rollup filter: spans only
], ids=["hours", "edges", "all-tenants", "spans-only"])
def test_cache_savings_basis_per_provider_model_and_day(store: Store, q: CostQuery) -> None:
    keys = tuple(k for k in q.group_by if k not in ("provider", "model"))
    got = {(*(r[k] for k in keys), r["price_provider"], r["response_model"], r["request_model"], r["price_day"]):
           (int(r["cache_read_tokens"]), r["at_ns"]) for r in store.cache_savings_basis(q)}
    columns = {"feature": "feature", "tenant": "tenant", "service": "service_name", "user_id": "user_id"}
    expected: dict[tuple[Any, ...], tuple[int, int]] = {}
    for s in _calls(q):
        if not s["cache_read_tokens"] or any(s[columns[name]] != value for name, value in q.filters):
            continue
        k = (*(s[columns[k]] for k in keys), s["provider"], s["response_model"], s["request_model"],
             s["start_ns"] // NS_PER_DAY * NS_PER_DAY)
        tokens, at = expected.get(k, (0, s["start_ns"]))
        expected[k] = (tokens + s["cache_read_tokens"], min(at, s["start_ns"]))
    assert got == expected
    assert got, "the data set has cache reads in the range"


def test_overview_aggregates_kpis_daily_slowest_and_failures(store: Store) -> None:
    f = SpanFilter(tenant="acme", start_ns=T0, end_ns=T0 + 7 * NS_PER_DAY)
    out = store.overview_aggregates(f, NS_PER_HOUR, T0)
    spans = _scoped("acme")
    kpis = out["kpis"][0]
    assert kpis["requests"] == sum(s["parent_span_id"] is None for s in spans)
    assert kpis["llm_calls"] == sum(s["kind"] == "llm" for s in spans)
    assert kpis["failed_traces"] == len({s["trace_id"] for s in spans if s["status"] == "error"})
    assert kpis["tokens"] == sum(s["total_tokens"] or 0 for s in spans)
    daily_calls: dict[int, int] = {}
    for s in spans:
        if s["kind"] == "llm":
            day = s["start_ns"] // NS_PER_DAY * NS_PER_DAY
            daily_calls[day] = daily_calls.get(day, 0) + 1
    got_daily: dict[int, int] = {}
    for r in out["daily"]:
        got_daily[r["day_ns"]] = got_daily.get(r["day_ns"], 0) + r["llm_calls"]
    assert {d: n for d, n in got_daily.items() if n} == daily_calls
    roots = sorted((s for s in spans if s["parent_span_id"] is None), key=lambda s: (-s["duration_ns"], s["trace_id"]))
    assert [r["trace_id"] for r in out["slowest"]] == [s["trace_id"] for s in roots[:10]]
    errors = sorted((s for s in spans if s["status"] == "error"), key=lambda s: (-s["start_ns"], s["span_id"]))
    assert [r["span_id"] for r in out["failures"]] == [s["span_id"] for s in errors[:10]]


def test_facet_values_most_frequent_first(store: Store) -> None:
    got = store.facet_values(ALL_TENANTS, T0)
    counts: dict[str, int] = {}
    for s in SPANS:
        if s["feature"] is not None:
            counts[s["feature"]] = counts.get(s["feature"], 0) + 1
    assert got["feature"] == sorted(counts, key=lambda v: (-counts[v], v))
    assert sorted(got["tenant"]) == sorted(TENANTS)
    assert store.facet_values("acme", T0)["tenant"] == ["acme"]
    assert store.facet_values("acme", T0 + 30 * NS_PER_DAY) == {k: [] for k in got}


def test_findings_filtered_and_newest_first(store: Store) -> None:
    rows = store.findings(ALL_TENANTS)
    assert [r["id"] for r in rows] == [f["id"] for f in sorted(FINDINGS, key=lambda f: -f["detected_at_ns"])]
    acme_spikes = store.findings("acme", kind="cost_spike")
    assert [r["id"] for r in acme_spikes] == [f["id"] for f in sorted(FINDINGS, key=lambda f: -f["detected_at_ns"])
                                              if f["tenant"] == "acme" and f["kind"] == "cost_spike"]
    since = T0 + 25 * NS_PER_HOUR
    assert {r["id"] for r in store.findings(ALL_TENANTS, since_ns=since)} == {
        f["id"] for f in FINDINGS if f["window_end_ns"] > since}
    assert len(store.findings(ALL_TENANTS, limit=2)) == 2
    assert {r["id"] for r in store.findings(ALL_TENANTS, feature="chat")} == {
        f["id"] for f in FINDINGS if f["feature"] == "chat"}
