"""A real Prometheus scrapes a live genlens: the guides' PromQL runs and answers what the workload holds."""

from __future__ import annotations

import math
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from genlens.metrics.catalog import LATENCY_BUCKETS
from tests.conftest import LiveServer, start_server
from tests.metrics.prometheus import Prometheus, start_prometheus
from tests.metrics.workload import Expected, requests


@pytest.fixture(scope="module")
def scraped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Prometheus, Expected]]:
    server = start_server(tmp_path_factory.mktemp("genlens"))
    prom = None
    try:
        bodies, expected = requests(300, seed=21)
        for body in bodies:
            response = httpx.post(f"{server.url}/v1/traces", content=body, timeout=30,
                                  headers={"content-type": "application/x-protobuf"})
            assert response.status_code == 200
        prom = start_prometheus(Path(tmp_path_factory.mktemp("prometheus")), f"127.0.0.1:{server.http_port}")
        assert prom.wait_for("sum(llm_requests_total)", expected.calls) == expected.calls
        yield server, prom, expected
    finally:
        if prom is not None:
            prom.stop()
        server.stop()


def test_scrape_is_up_and_negotiates_openmetrics(scraped: tuple[LiveServer, Prometheus, Expected]) -> None:
    _, prom, _ = scraped
    assert prom.scalar('up{job="genlens"}') == 1.0
    targets = httpx.get(f"{prom.url}/api/v1/targets", timeout=10).json()["data"]["activeTargets"]
    assert [t["health"] for t in targets] == ["up"], targets


def test_the_guides_promql_answers_the_workload(scraped: tuple[LiveServer, Prometheus, Expected]) -> None:
    _, prom, exp = scraped
    errors = sum(v for (_, _, _, status), v in exp.requests.items() if status == "error")
    assert prom.scalar('sum(llm_requests_total{status="error"})') == errors
    by_status = {r["metric"]["status"]: float(r["value"][1])
                 for r in prom.query("sum by (status) (llm_requests_total)")}
    assert by_status == {"ok": exp.calls - errors, "error": errors}
    assert prom.scalar("sum(llm_input_tokens_total)") == sum(exp.tokens["input"].values())
    cost = prom.scalar("sum(llm_cost_usd_total)")
    grand = sum(exp.cost.values(), Decimal(0))
    assert cost is not None and abs(Decimal(repr(cost)) - grand) <= grand * Decimal("1e-9")
    tenants = {r["metric"]["tenant"] for r in prom.query("sum by (tenant) (llm_cost_usd_total)")}
    assert tenants == {t for (_, _, _, t) in exp.cost}
    # the share of calls under 5 s, as an SLO's SLI reads it from the histogram
    under_5 = prom.scalar('sum(llm_total_latency_seconds_bucket{le="5.0"}) / sum(llm_total_latency_seconds_count)')
    latencies = [v for values in exp.latency.values() for v in values]
    assert under_5 == pytest.approx(sum(v <= 5.0 for v in latencies) / len(latencies), rel=1e-12)
    # p95 TTFT per model: Prometheus interpolates inside the bucket that holds the true p95
    p95 = {r["metric"]["model"]: float(r["value"][1])
           for r in prom.query("histogram_quantile(0.95, sum by (le, model) (llm_ttft_seconds_bucket))")}
    ttft_by_model: dict[str, list[float]] = {}
    for (_, model, _), values in exp.ttft.items():
        ttft_by_model.setdefault(model, []).extend(values)
    assert set(p95) == set(ttft_by_model)
    for model, values in ttft_by_model.items():
        values.sort()
        true_p95 = values[math.ceil(0.95 * len(values)) - 1]
        hi = min(b for b in LATENCY_BUCKETS + (math.inf,) if b >= true_p95)
        lo = max((b for b in LATENCY_BUCKETS if b < hi), default=0.0)
        assert lo <= p95[model] <= hi, (model, true_p95, p95[model])


def test_exemplars_reach_prometheus_with_trace_ids(scraped: tuple[LiveServer, Prometheus, Expected]) -> None:
    server, prom, _ = scraped
    response = httpx.get(f"{prom.url}/api/v1/query_exemplars",
                         params={"query": "llm_total_latency_seconds_bucket", "start": "0", "end": "4102444800"},
                         timeout=10).json()
    assert response["status"] == "success"
    trace_ids = {e["labels"]["trace_id"] for series in response["data"] for e in series["exemplars"]}
    assert trace_ids
    some = sorted(trace_ids)[0]
    assert httpx.get(f"{server.url}/api/v1/traces/{some}", timeout=10).status_code == 200
