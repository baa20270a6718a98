"""Metrics: values against the spans they summarise, bounded labels, no user ids."""

from __future__ import annotations

import openai
import pytest

import genlens
from genlens.semconv import attrs

MODEL = "gpt-4o-mini"


def test_metrics_match_spans(sim, tel):
    client = openai.OpenAI(base_url=sim.url + "/v1", api_key="sk-test", max_retries=0)
    with genlens.context(feature="faq", tenant="t1", user_id="secret-user"):
        for _ in range(3):
            client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hello"}])
        list(client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "s"}], stream=True))
    spans = tel.spans()
    assert len(spans) == 4
    inp = sum(s.attributes[attrs.GEN_AI_USAGE_INPUT_TOKENS] for s in spans)
    out = sum(s.attributes[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] for s in spans)
    cost = sum(s.attributes[attrs.APP_COST_USD] for s in spans)
    labels = {attrs.APP_FEATURE: "faq", attrs.APP_TENANT_ID: "t1"}
    assert tel.total("app.llm.requests", status="ok", **labels) == 4
    assert tel.total("app.llm.tokens", **{"gen_ai.token.type": "input"}, **labels) == inp
    assert tel.total("app.llm.tokens", **{"gen_ai.token.type": "output"}, **labels) == out
    assert tel.total("app.llm.cost", **labels) == pytest.approx(cost)
    assert tel.total("gen_ai.client.token.usage", **{"gen_ai.token.type": "output"}) == out
    assert tel.count("gen_ai.client.operation.duration", **{attrs.GEN_AI_OPERATION_NAME: "chat"}) == 4
    assert tel.count("app.llm.ttft") == 1 and tel.count("gen_ai.client.operation.time_to_first_chunk") == 1
    streamed = [s for s in spans if s.attributes[attrs.APP_STREAMING]][0]
    assert tel.total("app.llm.ttft") == pytest.approx(streamed.attributes[attrs.APP_TTFT_S])
    assert tel.count("app.llm.tpot") == 1
    assert tel.count("app.llm.decode_tokens_per_s") == 1
    # one gap between each pair of consecutive chunks the SDK read (usage chunk included)
    assert tel.count("app.llm.chunk_gap") >= streamed.attributes[attrs.GEN_AI_USAGE_OUTPUT_TOKENS]
    for points in tel.metrics().values():
        for p in points:
            assert "secret-user" not in p.attributes.values()
            assert attrs.USER_ID not in p.attributes


def test_labels_are_bounded(tel_factory):
    tel = tel_factory(max_label_values=3)

    @genlens.llm_call(provider="openai")
    def call(model: str) -> dict:
        return {"usage": {"prompt_tokens": 1, "completion_tokens": 1}}

    for i in range(10):
        with genlens.context(tenant=f"tenant-{i}"):
            call(model=f"m{i}")
    tenants = {p.attributes.get(attrs.APP_TENANT_ID) for p in tel.metrics()["app.llm.requests"]}
    assert tenants == {"tenant-0", "tenant-1", "tenant-2", "other"}
    assert tel.total("app.llm.requests") == 10
    from genlens.sdk.setup import diagnostics

    assert diagnostics()["label_overflow"] >= 14


def test_budget_breach_flagged_and_counted(tel_factory):
    tel = tel_factory(budgets={"summarise": 1000})

    @genlens.llm_call(provider="openai", model="gpt-4o", feature="summarise")
    def call(tokens: int) -> dict:
        return {"usage": {"prompt_tokens": tokens, "completion_tokens": 100}}

    call(800)   # 900 <= 1000
    call(901)   # 1001 > 1000
    first, second = tel.spans()
    assert first.attributes[attrs.APP_BUDGET_EXCEEDED] is False
    assert second.attributes[attrs.APP_BUDGET_EXCEEDED] is True
    assert tel.total("app.llm.budget_exceeded", **{attrs.APP_FEATURE: "summarise"}) == 1


def test_validation_and_guardrail_helpers(tel):
    with genlens.context(feature="extract"):
        with genlens.span("parse"):
            genlens.record_validation_error(ValueError("missing field 'email' in a@b.com"), schema="Contact")
        with genlens.span("check"):
            genlens.record_guardrail_rejection("pii", reason="found 555-123-4567")
    parse, check = tel.spans()
    assert parse.attributes[attrs.APP_ERROR_CLASS] == "validation"
    event = parse.events[0]
    assert event.name == attrs.EVENT_VALIDATION_ERROR
    assert event.attributes["schema"] == "Contact"
    assert "a@b.com" not in event.attributes["message"]
    assert check.attributes[attrs.APP_ERROR_CLASS] == "guardrail"
    assert "555-123-4567" not in check.events[0].attributes[attrs.APP_GUARDRAIL_REASON]
    assert tel.total("app.llm.validation_errors", **{attrs.APP_FEATURE: "extract"}) == 1
    assert tel.total("app.llm.guardrail_rejections", guardrail="pii") == 1


def test_feedback_is_a_span_in_the_rated_trace(tel):
    with genlens.span("answer") as answer:
        ctx = answer.get_span_context()
    genlens.feedback(format(ctx.trace_id, "032x"), format(ctx.span_id, "016x"), thumbs="down",
                     comment="wrong, mail me at x@y.org", score=0.2)
    genlens.feedback(span=answer, signal="copied")
    _, fb, implicit = tel.spans()
    assert fb.name == "feedback"
    assert fb.context.trace_id == ctx.trace_id and fb.parent.span_id == ctx.span_id
    assert fb.attributes[attrs.APP_FEEDBACK_THUMBS] == "down"
    assert fb.attributes[attrs.APP_FEEDBACK_SCORE] == 0.2
    assert fb.attributes[attrs.APP_FEEDBACK_COMMENT] == "wrong, mail me at [EMAIL]"
    assert fb.attributes[attrs.APP_FEEDBACK_SPAN_ID] == format(ctx.span_id, "016x")
    assert fb.attributes[attrs.APP_FEEDBACK_SOURCE] == "user"
    assert implicit.attributes[attrs.APP_FEEDBACK_SIGNAL] == "copied"
    assert implicit.attributes[attrs.APP_FEEDBACK_SOURCE] == "implicit"


@pytest.mark.parametrize("kwargs", [
    {"trace_id": "xyz", "thumbs": "up"},
    {"trace_id": "0" * 32, "thumbs": "up"},
    {"trace_id": "a" * 32, "thumbs": "sideways"},
    {"trace_id": "a" * 32, "score": float("nan")},
    {"trace_id": "a" * 32, "span_id": "123", "score": 1},
])
def test_feedback_rejects_bad_input(tel, kwargs):
    with pytest.raises(ValueError):
        genlens.feedback(**kwargs)


def test_prometheus_endpoint(tel_factory):
    import re

    import httpx

    from genlens.sdk.setup import _owned

    tel_factory(prometheus_port=0)
    port = _owned["prometheus"].port

    @genlens.llm_call(provider="openai", model="gpt-4o")
    def call() -> dict:
        return {"usage": {"prompt_tokens": 1000, "completion_tokens": 200}}

    with genlens.context(feature="faq"):
        call()
        call()
    response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert response.status_code == 200
    text = response.text
    assert re.search(r'^app_llm_requests_total\{.*app_llm_feature="faq".*status="ok".*\} 2$', text, re.M)
    assert re.search(r'^app_llm_tokens_total\{.*gen_ai_token_type="input".*\} 2000$', text, re.M)
    cost = re.search(r'^app_llm_cost_usd_total\{.*\} (\S+)$', text, re.M)
    assert cost and float(cost.group(1)) == pytest.approx(2 * (1000 * 2.5e-6 + 200 * 10e-6))
    count = re.search(r'^gen_ai_client_operation_duration_seconds_count\{.*\} (\d+)$', text, re.M)
    assert count and count.group(1) == "2"
    assert "# TYPE gen_ai_client_token_usage histogram" in text
    assert httpx.get(f"http://127.0.0.1:{port}/other", timeout=5).status_code == 404
