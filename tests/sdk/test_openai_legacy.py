"""Legacy ``client.completions.create`` through the real openai SDK against the simulator."""

from __future__ import annotations

import asyncio
import json
import math

import openai
import pytest

from genlens.pricing import PriceBook, Usage
from genlens.semconv import attrs
from tests.sdk.test_openai import aclient, client

MODEL = "gpt-3.5-turbo-instruct"
PROMPT = "Write a tagline for an ice cream shop."


def expected_cost(model, inp, out):
    return PriceBook.load().cost("openai", model, Usage(inp, out, 0, 0, 0), 0).usd


def prompt_tokens(*prompts):
    """The simulator's documented token rule, ceil(chars / 4), per raw prompt."""
    return sum(math.ceil(len(p) / 4) for p in prompts)


def test_sync_span_attributes_exact(sim, tel):
    resp = client(sim).completions.create(
        model=MODEL, prompt=PROMPT, temperature=0.3, top_p=0.9, max_tokens=50, seed=7, stop=["END"], n=2,
        frequency_penalty=0.5, presence_penalty=-0.25)
    span = tel.span(f"text_completion {MODEL}")
    a = dict(span.attributes)
    assert span.kind.name == "CLIENT"
    assert a[attrs.GEN_AI_PROVIDER_NAME] == "openai"
    assert a[attrs.GEN_AI_OPERATION_NAME] == "text_completion"
    assert a[attrs.GEN_AI_REQUEST_MODEL] == MODEL
    assert a[attrs.GEN_AI_RESPONSE_MODEL] == resp.model
    assert a[attrs.GEN_AI_RESPONSE_ID] == resp.id
    assert a[attrs.GEN_AI_RESPONSE_FINISH_REASONS] == tuple(c.finish_reason for c in resp.choices)
    assert len(resp.choices) == 2
    assert a[attrs.GEN_AI_REQUEST_TEMPERATURE] == 0.3
    assert a[attrs.GEN_AI_REQUEST_TOP_P] == 0.9
    assert a[attrs.GEN_AI_REQUEST_MAX_TOKENS] == 50
    assert a[attrs.GEN_AI_REQUEST_SEED] == 7
    assert a[attrs.GEN_AI_REQUEST_STOP_SEQUENCES] == ("END",)
    assert a[attrs.GEN_AI_REQUEST_CHOICE_COUNT] == 2
    assert a[attrs.GEN_AI_REQUEST_FREQUENCY_PENALTY] == 0.5
    assert a[attrs.GEN_AI_REQUEST_PRESENCE_PENALTY] == -0.25
    assert a[attrs.GEN_AI_USAGE_INPUT_TOKENS] == resp.usage.prompt_tokens == prompt_tokens(PROMPT)
    assert a[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] == resp.usage.completion_tokens
    assert a[attrs.APP_COST_USD] == pytest.approx(
        expected_cost(resp.model, resp.usage.prompt_tokens, resp.usage.completion_tokens))
    assert a[attrs.APP_COST_USD] > 0
    assert a[attrs.APP_STREAMING] is False
    assert a[attrs.APP_SPAN_KIND] == "llm"
    assert a[attrs.SERVER_ADDRESS] == "127.0.0.1"
    assert attrs.GEN_AI_INPUT_MESSAGES not in a and attrs.GEN_AI_OUTPUT_MESSAGES not in a
    assert span.status.status_code.name == "UNSET"


def test_async(sim, tel):
    async def go():
        return await aclient(sim).completions.create(model=MODEL, prompt=["a", "bb"], max_tokens=5)

    resp = asyncio.run(go())
    a = tel.span(f"text_completion {MODEL}").attributes
    assert a[attrs.GEN_AI_RESPONSE_ID] == resp.id
    assert a[attrs.GEN_AI_USAGE_INPUT_TOKENS] == prompt_tokens("a", "bb")
    assert a[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] == resp.usage.completion_tokens == 10
    assert a[attrs.GEN_AI_RESPONSE_FINISH_REASONS] == ("length", "length")


def test_stream_usage_requested_and_hidden(sim, tel):
    chunks = list(client(sim).completions.create(model=MODEL, prompt=PROMPT, max_tokens=16, stream=True))
    # max_tokens below the profile's shortest answer: always cut at 16 tokens
    # genlens asked for usage but the caller did not: no usage-only chunk reaches the caller
    assert chunks and all(len(c.choices) == 1 and c.usage is None for c in chunks)
    pieces = sum(1 for c in chunks if c.choices[0].text)
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices[0].finish_reason]
    spans = tel.spans()
    assert len(spans) == 1
    a = spans[0].attributes
    assert spans[0].name == f"text_completion {MODEL}"
    assert a[attrs.APP_STREAMING] is True and a[attrs.GEN_AI_REQUEST_STREAM] is True
    assert a[attrs.GEN_AI_RESPONSE_FINISH_REASONS] == tuple(finishes) == ("length",)
    assert a[attrs.GEN_AI_RESPONSE_ID] == chunks[0].id
    # the simulator streams one token per 4-character piece
    assert a[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] == pieces == 16
    assert a[attrs.GEN_AI_USAGE_INPUT_TOKENS] == prompt_tokens(PROMPT)
    assert a[attrs.APP_COST_USD] == pytest.approx(expected_cost(MODEL, prompt_tokens(PROMPT), 16))
    assert 0 < a[attrs.APP_TTFT_S] <= a[attrs.APP_TOTAL_LATENCY_S]


def test_stream_usage_chunk_kept_when_caller_asked(sim, tel):
    chunks = list(client(sim).completions.create(model=MODEL, prompt=PROMPT, stream=True,
                                                 stream_options={"include_usage": True}))
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    a = tel.span(f"text_completion {MODEL}").attributes
    assert a[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] == chunks[-1].usage.completion_tokens
    assert a[attrs.GEN_AI_USAGE_INPUT_TOKENS] == chunks[-1].usage.prompt_tokens


def test_async_stream_several_choices(sim, tel_factory):
    tel = tel_factory(capture_content=True)

    async def go():
        stream = await aclient(sim).completions.create(model=MODEL, prompt=["p one", "p two"], n=2,
                                                       max_tokens=12, stream=True)
        return [c async for c in stream]

    chunks = asyncio.run(go())
    texts = {}
    for c in chunks:
        for choice in c.choices:
            texts[choice.index] = texts.get(choice.index, "") + choice.text
    a = tel.span(f"text_completion {MODEL}").attributes
    assert a[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] == sum(math.ceil(len(t) / 4) for t in texts.values()) == 48
    assert a[attrs.GEN_AI_RESPONSE_FINISH_REASONS] == ("length",) * 4
    out = json.loads(a[attrs.GEN_AI_OUTPUT_MESSAGES])
    assert [m["parts"][0]["content"] for m in out] == [texts[i] for i in range(4)]
    assert all(m["role"] == "assistant" and m["finish_reason"] == "length" for m in out)
    assert a[attrs.APP_TTFT_S] > 0


def test_rate_limited(sim, tel):
    sim.set_faults(MODEL, error_rates={429: 1.0})
    with pytest.raises(openai.RateLimitError) as info:
        client(sim).completions.create(model=MODEL, prompt="x")
    assert info.value.status_code == 429
    span = tel.span(f"text_completion {MODEL}")
    assert span.status.status_code.name == "ERROR"
    assert span.attributes[attrs.ERROR_TYPE] == "rate_limited"
    assert span.attributes[attrs.HTTP_RESPONSE_STATUS_CODE] == 429
    assert span.attributes[attrs.APP_ERROR_CLASS] == "api"
    assert tel.total("app.llm.api_errors", **{attrs.ERROR_TYPE: "rate_limited"}) == 1


def test_content_captured_and_redacted(sim, tel_factory):
    tel = tel_factory(capture_content=True)
    prompts = ["mail jane.roe@example.org please", "key sk-abcdefghijklmnopqrstuv here"]
    resp = client(sim).completions.create(model=MODEL, prompt=prompts, max_tokens=8)
    a = tel.span(f"text_completion {MODEL}").attributes
    assert json.loads(a[attrs.GEN_AI_INPUT_MESSAGES]) == [
        {"role": "user", "parts": [{"type": "text", "content": "mail [EMAIL] please"}]},
        {"role": "user", "parts": [{"type": "text", "content": "key [API_KEY] here"}]},
    ]
    assert a[attrs.APP_REDACTED] is True
    assert json.loads(a[attrs.GEN_AI_OUTPUT_MESSAGES]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": c.text}], "finish_reason": c.finish_reason}
        for c in resp.choices]


def test_content_filter_finish(sim, tel):
    sim.set_faults(MODEL, content_filter_rate=1.0)
    resp = client(sim).completions.create(model=MODEL, prompt="x", max_tokens=100)
    assert resp.choices[0].finish_reason == "content_filter"
    span = tel.span(f"text_completion {MODEL}")
    assert span.attributes[attrs.GEN_AI_RESPONSE_FINISH_REASONS] == ("content_filter",)
    assert span.status.status_code.name == "UNSET"
