"""``/metrics`` of a real ``genlens serve`` fed over OTLP/HTTP equals an independent count of what was sent."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from genlens.metrics.catalog import FAMILIES, LATENCY_BUCKETS, MAX_LABEL_CHARS
from genlens.metrics.series import le_labels
from tests.conftest import LiveServer, start_server
from tests.metrics.helpers import OPENMETRICS, openmetrics_families, samples, scrape, total, value, wait_for
from tests.metrics.workload import Expected, requests
from tests.otlp_helpers import span_request

PROTOBUF = {"content-type": "application/x-protobuf"}


def _post(url: str, body: bytes) -> httpx.Response:
    return httpx.post(f"{url}/v1/traces", content=body, headers=PROTOBUF, timeout=30)


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Expected, int]]:
    server = start_server(tmp_path_factory.mktemp("metrics"))
    bodies, expected = requests(400)
    try:
        for body in bodies:
            assert _post(server.url, body).status_code == 200
        wait_for(server.url, "llm_requests_total", expected.calls)
        yield server, expected, len(bodies)
    finally:
        server.stop()


def test_counters_equal_the_workload(fed: tuple[LiveServer, Expected, int]) -> None:
    server, exp, _ = fed
    found = samples(server.url)
    assert total(found, "llm_requests_total") == exp.calls
    assert {k: v for k, v in exp.requests.items()} == {
        (dict(labels)["provider"], dict(labels)["model"], dict(labels)["feature"], dict(labels)["status"]): v
        for (name, labels), v in found.items() if name == "llm_requests_total"
    }
    for kind in ("input", "output", "cache_read", "cache_write"):
        for (provider, model, feature), count in exp.tokens[kind].items():
            assert value(found, f"llm_{kind}_tokens_total", provider=provider, model=model,
                         feature=feature) == count, kind
    for (provider, model, error_type), count in exp.api_errors.items():
        assert value(found, "llm_api_errors_total", provider=provider, model=model, error_type=error_type) == count
    assert total(found, "llm_api_errors_total") == sum(exp.api_errors.values())
    for (provider, model, feature), count in exp.refusals.items():
        assert value(found, "llm_refusals_total", provider=provider, model=model, feature=feature) == count
    assert total(found, "llm_refusals_total") == sum(exp.refusals.values())
    for (feature, error_class), count in exp.validation.items():
        assert value(found, "llm_validation_errors_total", feature=feature, error_class=error_class) == count
    for (feature, source), count in exp.guardrail.items():
        assert value(found, "llm_guardrail_rejections_total", feature=feature, source=source) == count


def test_cost_equals_the_exact_sum_to_1e9_relative(fed: tuple[LiveServer, Expected, int]) -> None:
    server, exp, _ = fed
    found = samples(server.url)
    for (provider, model, feature, tenant), cost in exp.cost.items():
        got = value(found, "llm_cost_usd_total", provider=provider, model=model, feature=feature, tenant=tenant)
        assert abs(Decimal(repr(got)) - cost) <= cost * Decimal("1e-9"), (provider, model, feature, tenant)
    grand = sum(exp.cost.values(), Decimal(0))
    assert abs(Decimal(repr(total(found, "llm_cost_usd_total"))) - grand) <= grand * Decimal("1e-9")


@pytest.mark.parametrize("family", ["llm_ttft_seconds", "llm_tpot_seconds", "llm_total_latency_seconds",
                                    "llm_decode_tokens_per_second", "llm_cache_hit_ratio",
                                    "llm_cost_per_call_usd"])
def test_histogram_buckets_equal_the_workload(fed: tuple[LiveServer, Expected, int], family: str) -> None:
    server, exp, _ = fed
    found = samples(server.url)
    spec = next(f for f in FAMILIES if f.name == family)
    keys = {tuple(dict(labels)[name] for name in spec.labels)
            for (name, labels), _ in found.items() if name == f"{family}_count"}
    assert keys, family
    observed = 0
    for key in keys:
        labels = dict(zip(spec.labels, key, strict=True))
        want = exp.buckets(family, key)
        got = [value(found, f"{family}_bucket", le=le, **labels) for le in le_labels(spec.buckets)]
        assert got == want, (family, key)
        assert value(found, f"{family}_count", **labels) == want[-1]
        observed += want[-1]
    if family in ("llm_total_latency_seconds", "llm_cache_hit_ratio", "llm_cost_per_call_usd"):
        assert observed == exp.calls  # one observation per call
    elif family == "llm_ttft_seconds":
        assert observed == sum(len(v) for v in exp.ttft.values())


def test_latency_buckets_hold_the_slo_thresholds() -> None:
    for threshold in (0.25, 0.5, 1, 2, 3, 5, 8, 10, 20, 30, 60):
        assert float(threshold) in LATENCY_BUCKETS


def test_openmetrics_parses_strictly_and_exemplars_name_a_span_in_their_bucket(
        fed: tuple[LiveServer, Expected, int]) -> None:
    server, _, _ = fed
    response = scrape(server.url, OPENMETRICS)
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")
    families = openmetrics_families(server.url)
    exemplars = 0
    for family in families:
        if family.name != "llm_total_latency_seconds":
            continue
        bounds = [float(b) for b in le_labels(LATENCY_BUCKETS)]
        for s in family.samples:
            if s.exemplar is None:
                continue
            exemplars += 1
            le = float(s.labels["le"])
            assert len(s.exemplar.labels["trace_id"]) == 32 and len(s.exemplar.labels["span_id"]) == 16
            lower = max([b for b in bounds if b < le], default=-1.0)
            assert lower < s.exemplar.value <= le
    assert exemplars > 0
    trace_id = next(s.exemplar.labels["trace_id"] for f in families if f.name == "llm_ttft_seconds"
                    for s in f.samples if s.exemplar is not None)
    assert httpx.get(f"{server.url}/api/v1/traces/{trace_id}", timeout=10).status_code == 200


def test_text_format_by_default_and_for_prometheus_0_0_4(fed: tuple[LiveServer, Expected, int]) -> None:
    server, _, _ = fed
    for accept in (None, "text/plain; version=0.0.4", "*/*", "text/html, garbage;;;q=x", ";;,,== q",
                   "application/openmetrics-text; version=9.9.9", "x" * 8000, b"\xe9\xff latin-1 bytes"):
        response = scrape(server.url, accept)
        assert "# EOF" not in response.text or "openmetrics" in response.headers["content-type"]
        assert "llm_requests_total" in response.text


def test_metrics_refuses_other_methods(fed: tuple[LiveServer, Expected, int]) -> None:
    server, _, _ = fed
    for method in ("POST", "PUT", "DELETE"):
        assert httpx.request(method, f"{server.url}/metrics", content=b"x" * 1000, timeout=10).status_code == 405


def test_self_metrics_count_exports_by_outcome_and_spans(fed: tuple[LiveServer, Expected, int]) -> None:
    server, exp, n_bodies = fed
    before = samples(server.url)
    assert value(before, "genlens_exports_total", signal="traces", outcome="accepted") == n_bodies
    spans_sent = exp.calls + 400  # every call plus one workflow span per trace
    assert value(before, "genlens_spans_accepted_total") == spans_sent
    assert _post(server.url, b"\xff\x00 not protobuf").status_code == 400
    big = gzip.compress(b"\x00" * (40 * 1024 * 1024))
    assert httpx.post(f"{server.url}/v1/traces", content=big, timeout=30,
                      headers={**PROTOBUF, "content-encoding": "gzip"}).status_code == 413
    bad_span = span_request([{"trace_id": b"\x00" * 16, "span_id": b"\x01" * 8, "name": "zero trace id",
                              "start": 10**18, "end": 10**18 + 1},
                             {"trace_id": b"\x02" * 16, "span_id": b"\x03" * 8, "name": "from 1970",
                              "start": 5, "end": 6}])
    assert _post(server.url, bad_span.SerializeToString()).status_code == 200
    after = samples(server.url)
    assert value(after, "genlens_exports_total", signal="traces", outcome="bad_request") == 1
    assert value(after, "genlens_exports_total", signal="traces", outcome="too_large") == 1
    assert value(after, "genlens_items_rejected_total", signal="traces", reason="invalid_id") == 1
    assert value(after, "genlens_items_rejected_total", signal="traces", reason="invalid_time") == 1
    assert value(after, "genlens_spans_received_total") == spans_sent + 2
    assert value(after, "genlens_commit_seconds_count") >= 1
    assert value(after, "genlens_metric_series", metric="llm_requests_total") == len(exp.requests)
    assert value(after, "genlens_metric_folded_total", metric="llm_requests_total") == 0
    assert total(after, "llm_requests_total") == exp.calls  # refused items count nowhere


def test_hostile_label_values_stay_parseable_and_bounded(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        nasty = ['quote " and \\ backslash', "new\nline", "ünïcødé 🚀", "m" * 5000, "", "{le=\"1\"}"]
        spans = [{"trace_id": bytes([i + 1]) * 16, "span_id": bytes([i + 1]) * 8, "name": "chat", "kind": 3,
                  "start": 10**18, "end": 10**18 + 10**9,
                  "attributes": {"gen_ai.provider.name": "openai", "gen_ai.operation.name": "chat",
                                 "gen_ai.request.model": model, "app.llm.feature": model,
                                 "gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 5}}
                 for i, model in enumerate(nasty)]
        assert _post(server.url, span_request(spans).SerializeToString()).status_code == 200
        found = wait_for(server.url, "llm_requests_total", len(nasty))
        models = {dict(labels)["model"] for (name, labels), _ in found.items() if name == "llm_requests_total"}
        assert 'quote " and \\ backslash' in models and "new\nline" in models and "ünïcødé 🚀" in models
        assert "m" * MAX_LABEL_CHARS in models and "unknown" in models
        assert max(len(m) for m in models) == MAX_LABEL_CHARS
        openmetrics_families(server.url)  # the strict parser accepts the escaping
    finally:
        server.stop()


def test_label_combinations_over_the_cap_fold_into_other_and_are_counted(tmp_path: Path) -> None:
    server = start_server(tmp_path, extra_env={"GENLENS_METRICS_MAX_SERIES": "5"})
    try:
        bodies, exp = requests(150, seed=5)
        for body in bodies:
            assert _post(server.url, body).status_code == 200
        found = wait_for(server.url, "llm_requests_total", exp.calls)
        series = [labels for (name, labels), _ in found.items() if name == "llm_requests_total"]
        assert len(series) == 6  # the cap, plus the one series everything past it folds into
        other = {"provider": "other", "model": "other", "feature": "other", "status": "other"}
        folded = value(found, "llm_requests_total", **other)
        assert folded > 0
        assert value(found, "genlens_metric_folded_total", metric="llm_requests_total") == folded
        assert total(found, "llm_requests_total") == exp.calls  # folded, never lost
        assert "user_id" not in scrape(server.url).text
    finally:
        server.stop()
