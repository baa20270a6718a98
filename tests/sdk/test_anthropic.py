"""The real anthropic SDK over HTTP against the genlens simulator."""

from __future__ import annotations

import asyncio

import anthropic
import pytest

from genlens.pricing import PriceBook, Usage
from genlens.semconv import attrs

MODEL = "claude-3-5-sonnet-latest"
MSG = [{"role": "user", "content": "hello there"}]


def client(sim):
    return anthropic.Anthropic(base_url=sim.url, api_key="sk-ant-test", max_retries=0)


def aclient(sim):
    return anthropic.AsyncAnthropic(base_url=sim.url, api_key="sk-ant-test", max_retries=0)


def test_messages_create(sim, tel):
    msg = client(sim).messages.create(model=MODEL, max_tokens=200, messages=MSG,
                                      system="be brief", stop_sequences=["X"])
    a = tel.span(f"chat {MODEL}").attributes
    assert a[attrs.GEN_AI_PROVIDER_NAME] == "anthropic"
    assert a[attrs.GEN_AI_RESPONSE_MODEL] == msg.model
    assert a[attrs.GEN_AI_RESPONSE_ID] == msg.id
    assert a[attrs.GEN_AI_RESPONSE_FINISH_REASONS] == ({"end_turn": "stop", "max_tokens": "length"}[msg.stop_reason],)
    assert a[attrs.GEN_AI_REQUEST_MAX_TOKENS] == 200
    assert a[attrs.GEN_AI_REQUEST_STOP_SEQUENCES] == ("X",)
    u = msg.usage
    total_in = u.input_tokens + (u.cache_read_input_tokens or 0) + (u.cache_creation_input_tokens or 0)
    assert a[attrs.GEN_AI_USAGE_INPUT_TOKENS] == total_in
    assert a[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] == u.output_tokens
    expected = PriceBook.load().cost("anthropic", msg.model, Usage(total_in, u.output_tokens, 0, 0, 0), 0).usd
    assert a[attrs.APP_COST_USD] == pytest.approx(expected)


def test_cache_tokens_are_included_in_input(sim, tel):
    long_system = [{"type": "text", "text": "policy " * 1500, "cache_control": {"type": "ephemeral"}}]
    c = client(sim)
    first = c.messages.create(model=MODEL, max_tokens=50, system=long_system, messages=MSG)
    second = c.messages.create(model=MODEL, max_tokens=50, system=long_system, messages=MSG)
    spans = tel.spans()
    assert first.usage.cache_creation_input_tokens and second.usage.cache_read_input_tokens
    a1, a2 = spans[0].attributes, spans[1].attributes
    assert a1[attrs.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] == first.usage.cache_creation_input_tokens
    assert a2[attrs.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == second.usage.cache_read_input_tokens
    assert a2[attrs.GEN_AI_USAGE_INPUT_TOKENS] == (second.usage.input_tokens + second.usage.cache_read_input_tokens
                                                   + (second.usage.cache_creation_input_tokens or 0))
    ratio = second.usage.cache_read_input_tokens / a2[attrs.GEN_AI_USAGE_INPUT_TOKENS]
    hist = [p for p in tel.metrics()["app.llm.cache_hit_ratio"]]
    assert sum(p.sum for p in hist) == pytest.approx(ratio)  # the first call read nothing from cache


def test_async_create_and_stream(sim, tel):
    async def go():
        c = aclient(sim)
        msg = await c.messages.create(model=MODEL, max_tokens=100, messages=MSG)
        stream = await c.messages.create(model=MODEL, max_tokens=100, messages=MSG, stream=True)
        events = [e async for e in stream]
        return msg, events

    msg, events = asyncio.run(go())
    first, second = tel.spans()
    assert first.attributes[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] == msg.usage.output_tokens
    final = [e for e in events if e.type == "message_delta"][-1]
    assert second.attributes[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] == final.usage.output_tokens
    assert second.attributes[attrs.APP_STREAMING] is True
    assert second.attributes[attrs.APP_TTFT_S] > 0


def test_stream_helper_sync(sim, tel):
    with client(sim).messages.stream(model=MODEL, max_tokens=100, messages=MSG) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == final.content[0].text
    a = tel.span(f"chat {MODEL}").attributes
    assert a[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] == final.usage.output_tokens
    assert a[attrs.GEN_AI_RESPONSE_ID] == final.id
    assert a[attrs.GEN_AI_RESPONSE_FINISH_REASONS] == ({"end_turn": "stop", "max_tokens": "length"}[final.stop_reason],)


def test_stream_helper_async_left_early_is_cancelled(sim, tel):
    async def go():
        async with aclient(sim).messages.stream(model=MODEL, max_tokens=100, messages=MSG) as stream:
            async for event in stream:
                if event.type == "content_block_delta":
                    break

    asyncio.run(go())
    a = tel.span(f"chat {MODEL}").attributes
    assert a[attrs.APP_ERROR_CLASS] == "cancelled"
    # Anthropic sends input usage up front: the usage seen so far is kept
    assert a[attrs.GEN_AI_USAGE_INPUT_TOKENS] > 0


@pytest.mark.parametrize(("status", "exc_type", "error_type"), [
    (529, anthropic.APIStatusError, "overloaded"),
    (429, anthropic.RateLimitError, "rate_limited"),
])
def test_errors(sim, tel, status, exc_type, error_type):
    sim.set_faults(MODEL, error_rates={status: 1.0})
    with pytest.raises(exc_type) as info:
        client(sim).messages.create(model=MODEL, max_tokens=10, messages=MSG)
    assert info.value.status_code == status
    span = tel.span(f"chat {MODEL}")
    assert span.status.status_code.name == "ERROR"
    assert span.attributes[attrs.ERROR_TYPE] == error_type
    assert span.attributes[attrs.HTTP_RESPONSE_STATUS_CODE] == status


def test_refusal_maps_to_content_filter(sim, tel):
    sim.set_faults(MODEL, content_filter_rate=1.0)
    msg = client(sim).messages.create(model=MODEL, max_tokens=10, messages=MSG)
    assert msg.stop_reason == "refusal"
    assert tel.span(f"chat {MODEL}").attributes[attrs.GEN_AI_RESPONSE_FINISH_REASONS] == ("content_filter",)


def test_tool_use(sim, tel):
    tools = [{"name": "lookup", "description": "find", "input_schema": {"type": "object",
                                                                         "properties": {"q": {"type": "string"}}}}]
    msg = client(sim).messages.create(model=MODEL, max_tokens=100, tools=tools, messages=MSG)
    uses = [b for b in msg.content if b.type == "tool_use"]
    assert uses
    llm = tel.span(f"chat {MODEL}")
    assert llm.attributes[attrs.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_call",)
    kids = [s for s in tel.spans() if s.parent and s.parent.span_id == llm.context.span_id]
    assert [(s.attributes[attrs.GEN_AI_TOOL_CALL_ID], s.attributes[attrs.GEN_AI_TOOL_NAME]) for s in kids] == \
        [(u.id, u.name) for u in uses]


def test_native_sdk_spans_do_not_double_the_llm_span(sim, tel):
    from genlens.sdk.setup import _owned, diagnostics

    # the anthropic SDK traces its own calls; point it at genlens's provider as a global one would
    native = anthropic.Anthropic(base_url=sim.url, api_key="sk-ant-test", max_retries=0,
                                 open_telemetry={"tracer_provider": _owned["tracer_provider"]})
    native.messages.create(model=MODEL, max_tokens=20, messages=MSG)
    assert [s.name for s in tel.spans()] == [f"chat {MODEL}"]
    assert diagnostics()["native_spans_filtered"] == 1


def test_stream_broken_midway_by_server(sim, tel):
    sim.set_faults(MODEL, stall_rate=1.0, stall_s=0.05)
    stream = client(sim).messages.create(model=MODEL, max_tokens=200, messages=MSG, stream=True)
    import httpx2

    # older SDKs let the transport's error through unwrapped, newer ones wrap it: genlens changes neither
    with pytest.raises((httpx2.RemoteProtocolError, anthropic.APIConnectionError)):
        for _ in stream:
            pass
    span = tel.span(f"chat {MODEL}")
    assert span.status.status_code.name == "ERROR"
    assert span.attributes[attrs.ERROR_TYPE] == "connection"
    assert span.attributes[attrs.APP_ERROR_CLASS] == "api"
    # message_start came through before the break: input usage seen so far is kept
    assert span.attributes[attrs.GEN_AI_USAGE_INPUT_TOKENS] > 0
