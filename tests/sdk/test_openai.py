"""The real openai SDK over HTTP against the genlens simulator; spans and metrics asserted exactly."""

from __future__ import annotations

import asyncio
import gc
import json

import openai
import pytest

import genlens
from genlens.pricing import PriceBook, Usage
from genlens.semconv import attrs

MODEL = "gpt-4o-mini"


def client(sim, **kw):
    return openai.OpenAI(base_url=sim.url + "/v1", api_key="sk-test", max_retries=0, **kw)


def aclient(sim):
    return openai.AsyncOpenAI(base_url=sim.url + "/v1", api_key="sk-test", max_retries=0)


def expected_cost(model, inp, out, cached=0):
    return PriceBook.load().cost("openai", model, Usage(inp, out, cached, 0, 0), 0).usd


def test_chat_sync_span_attributes_exact(sim, tel):
    resp = client(sim).chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Say hello"}], temperature=0.3, top_p=0.9,
        max_tokens=50, seed=7, stop=["END"])
    span = tel.span(f"chat {MODEL}")
    a = dict(span.attributes)
    assert span.kind.name == "CLIENT"
    assert a[attrs.GEN_AI_PROVIDER_NAME] == "openai"
    assert a[attrs.GEN_AI_OPERATION_NAME] == "chat"
    assert a[attrs.GEN_AI_REQUEST_MODEL] == MODEL
    assert a[attrs.GEN_AI_RESPONSE_MODEL] == resp.model
    assert a[attrs.GEN_AI_RESPONSE_ID] == resp.id
    assert a[attrs.GEN_AI_RESPONSE_FINISH_REASONS] == (resp.choices[0].finish_reason,)
    assert a[attrs.GEN_AI_REQUEST_TEMPERATURE] == 0.3
    assert a[attrs.GEN_AI_REQUEST_TOP_P] == 0.9
    assert a[attrs.GEN_AI_REQUEST_MAX_TOKENS] == 50
    assert a[attrs.GEN_AI_REQUEST_SEED] == 7
    assert a[attrs.GEN_AI_REQUEST_STOP_SEQUENCES] == ("END",)
    assert a[attrs.GEN_AI_USAGE_INPUT_TOKENS] == resp.usage.prompt_tokens
    assert a[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] == resp.usage.completion_tokens
    assert a[attrs.APP_COST_USD] == pytest.approx(
        expected_cost(resp.model, resp.usage.prompt_tokens, resp.usage.completion_tokens))
    assert a[attrs.APP_STREAMING] is False
    assert a[attrs.SERVER_ADDRESS] == "127.0.0.1"
    assert a[attrs.APP_TOTAL_LATENCY_S] > 0
    # content is off by default
    assert attrs.GEN_AI_INPUT_MESSAGES not in a and attrs.GEN_AI_OUTPUT_MESSAGES not in a
    assert span.status.status_code.name == "UNSET"


def test_chat_async(sim, tel):
    async def go():
        return await aclient(sim).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}])

    resp = asyncio.run(go())
    a = tel.span(f"chat {MODEL}").attributes
    assert a[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] == resp.usage.completion_tokens
    assert a[attrs.GEN_AI_RESPONSE_ID] == resp.id


def test_stream_one_span_usage_requested_and_hidden(sim, tel):
    stream = client(sim).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "tell"}],
                                                 stream=True)
    chunks = list(stream)
    # genlens asked for usage but the caller did not: no usage-only chunk reaches the caller
    assert all(len(c.choices) == 1 for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    spans = tel.spans()
    assert len(spans) == 1
    a = spans[0].attributes
    assert a[attrs.APP_STREAMING] is True
    assert a[attrs.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    # the simulator streams one token per 4-character piece
    assert a[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] == sum(1 for c in chunks if c.choices[0].delta.content)
    assert len(text) > 0
    assert 0 < a[attrs.APP_TTFT_S] <= a[attrs.APP_TOTAL_LATENCY_S]
    assert a[attrs.APP_TPOT_S] > 0
    assert a[attrs.APP_DECODE_TOKENS_PER_S] == pytest.approx(1 / a[attrs.APP_TPOT_S])


def test_stream_usage_chunk_kept_when_caller_asked(sim, tel):
    chunks = list(client(sim).chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "tell"}], stream=True,
        stream_options={"include_usage": True}))
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert tel.spans()[0].attributes[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] == chunks[-1].usage.completion_tokens


def test_stream_helper_context_manager(sim, tel):
    with client(sim).chat.completions.stream(model=MODEL, messages=[{"role": "user", "content": "hi"}]) as s:
        final = s.get_final_completion()
    a = tel.span(f"chat {MODEL}").attributes
    assert final.usage is None  # what the caller sees is unchanged: they did not ask for usage
    assert a[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] > 0
    assert a[attrs.GEN_AI_RESPONSE_ID] == final.id


def test_async_stream(sim, tel):
    async def go():
        stream = await aclient(sim).chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "x"}], stream=True)
        return [c async for c in stream]

    chunks = asyncio.run(go())
    a = tel.span(f"chat {MODEL}").attributes
    assert a[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] == sum(1 for c in chunks if c.choices and c.choices[0].delta.content)
    assert attrs.APP_ERROR_CLASS not in a


def test_stream_broken_by_caller_is_cancelled_with_usage_so_far(sim, tel):
    stream = client(sim).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "long"}],
                                                 stream=True)
    seen = 0
    for chunk in stream:
        if chunk.choices[0].delta.content:
            seen += 1
        if seen == 3:
            break
    assert tel.spans() == []  # still open: the caller may resume
    stream.close()
    a = tel.span(f"chat {MODEL}").attributes
    assert a[attrs.APP_ERROR_CLASS] == "cancelled"
    assert attrs.GEN_AI_USAGE_OUTPUT_TOKENS not in a  # usage comes only at the end of an OpenAI stream
    assert a[attrs.APP_TTFT_S] > 0


def test_stream_abandoned_is_ended_when_dropped(sim, tel):
    for _chunk in client(sim).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}],
                                                     stream=True):
        break
    gc.collect()
    assert tel.span(f"chat {MODEL}").attributes[attrs.APP_ERROR_CLASS] == "cancelled"


def test_async_stream_task_cancelled(sim, tel):
    async def consume(started):
        stream = await aclient(sim).chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "x"}], stream=True)
        async for _ in stream:
            started.set()
            await asyncio.sleep(3600)

    async def go():
        started = asyncio.Event()
        task = asyncio.create_task(consume(started))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(go())
    gc.collect()  # the cancelled task's traceback may keep the dropped stream alive until now
    span = tel.span(f"chat {MODEL}")
    # cancelled while the caller slept: ended when the dropped stream was collected
    assert span.attributes[attrs.APP_ERROR_CLASS] == "cancelled"


def test_stream_broken_midway_by_server(sim, tel):
    sim.set_faults(MODEL, stall_rate=1.0, stall_s=0.05)
    stream = client(sim).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}],
                                                 stream=True)
    with pytest.raises(openai.APIError) as info:
        for _ in stream:
            pass
    span = tel.span(f"chat {MODEL}")
    assert span.status.status_code.name == "ERROR"
    assert span.attributes[attrs.ERROR_TYPE] == "connection"
    assert span.attributes[attrs.APP_ERROR_CLASS] == "api"
    assert isinstance(info.value, openai.APIConnectionError)


@pytest.mark.parametrize(("status", "exc_type", "error_type"), [
    (429, openai.RateLimitError, "rate_limited"),
    (500, openai.InternalServerError, "server_error"),
    (503, openai.InternalServerError, "server_error"),
])
def test_api_errors_propagate_unchanged(sim, tel, status, exc_type, error_type):
    sim.set_faults(MODEL, error_rates={status: 1.0})
    with pytest.raises(exc_type) as info:
        client(sim).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}])
    assert info.value.status_code == status
    span = tel.span(f"chat {MODEL}")
    assert span.status.status_code.name == "ERROR"
    assert span.attributes[attrs.ERROR_TYPE] == error_type
    assert span.attributes[attrs.HTTP_RESPONSE_STATUS_CODE] == status
    assert span.attributes[attrs.APP_ERROR_CLASS] == "api"
    assert [e.name for e in span.events] == ["exception"]
    assert tel.total("app.llm.api_errors", **{attrs.ERROR_TYPE: error_type}) == 1
    assert tel.total("app.llm.requests", status="error") == 1


def test_content_filter(sim, tel):
    sim.set_faults(MODEL, content_filter_rate=1.0)
    resp = client(sim).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}])
    assert resp.choices[0].finish_reason == "content_filter"
    span = tel.span(f"chat {MODEL}")
    assert span.attributes[attrs.GEN_AI_RESPONSE_FINISH_REASONS] == ("content_filter",)
    assert span.status.status_code.name == "UNSET"


TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "weather",
                                            "parameters": {"type": "object",
                                                           "properties": {"city": {"type": "string"}}}}}]


def test_tool_calls_become_child_spans(sim, tel):
    with genlens.context(tenant="acme", feature="weather"):
        resp = client(sim).chat.completions.create(model=MODEL, tools=TOOLS,
                                                   messages=[{"role": "user", "content": "weather in Paris?"}])
    calls = resp.choices[0].message.tool_calls
    assert calls
    llm = tel.span(f"chat {MODEL}")
    assert llm.attributes[attrs.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_call",)
    children = [s for s in tel.spans() if s.parent is not None and s.parent.span_id == llm.context.span_id]
    assert sorted((s.attributes[attrs.GEN_AI_TOOL_CALL_ID], s.attributes[attrs.GEN_AI_TOOL_NAME]) for s in children) \
        == sorted((c.id, c.function.name) for c in calls)
    assert all(s.name == f"tool_call {s.attributes[attrs.GEN_AI_TOOL_NAME]}" for s in children)
    assert all(attrs.GEN_AI_TOOL_CALL_ARGUMENTS not in s.attributes for s in children)  # content off
    # the request's context reaches the requested tool calls too, so they land in the trace's tenant
    assert all(s.attributes[attrs.APP_TENANT_ID] == "acme" and s.attributes[attrs.APP_FEATURE] == "weather"
               for s in children)


def test_streamed_tool_calls(sim, tel_factory):
    tel = tel_factory(capture_content=True)
    chunks = list(client(sim).chat.completions.create(
        model=MODEL, tools=TOOLS, stream=True, messages=[{"role": "user", "content": "weather in Paris?"}]))
    ids = {tc.id for c in chunks for tc in (c.choices[0].delta.tool_calls or []) if tc.id}
    children = [s for s in tel.spans() if s.name.startswith("tool_call ")]
    assert {s.attributes[attrs.GEN_AI_TOOL_CALL_ID] for s in children} == ids
    args = "".join(tc.function.arguments or "" for c in chunks for tc in (c.choices[0].delta.tool_calls or []))
    assert json.loads(children[0].attributes[attrs.GEN_AI_TOOL_CALL_ARGUMENTS]) == json.loads(args)


def test_embeddings(sim, tel):
    resp = client(sim).embeddings.create(model="text-embedding-3-small", input=["alpha", "beta"])
    span = tel.span("embeddings text-embedding-3-small")
    a = span.attributes
    assert a[attrs.GEN_AI_OPERATION_NAME] == "embeddings"
    assert a[attrs.GEN_AI_USAGE_INPUT_TOKENS] == resp.usage.prompt_tokens
    assert a[attrs.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] == len(resp.data[0].embedding)
    assert a[attrs.APP_SPAN_KIND] == "embedding"


def test_responses_api_sync_and_stream(sim, tel):
    c = client(sim)
    resp = c.responses.create(model=MODEL, input="hello", instructions="be brief", max_output_tokens=64)
    events = list(c.responses.create(model=MODEL, input="hello", stream=True))
    final = [e for e in events if e.type == "response.completed"][0].response
    spans = tel.spans()
    assert len(spans) == 2
    first, second = spans
    assert first.attributes[attrs.GEN_AI_RESPONSE_ID] == resp.id
    assert first.attributes[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] == resp.usage.output_tokens
    assert first.attributes[attrs.GEN_AI_REQUEST_MAX_TOKENS] == 64
    assert second.attributes[attrs.GEN_AI_USAGE_INPUT_TOKENS] == final.usage.input_tokens
    assert second.attributes[attrs.APP_TTFT_S] > 0


def test_content_capture_redacts_before_export(sim, tel_factory):
    tel = tel_factory(capture_content=True)
    client(sim).chat.completions.create(model=MODEL, messages=[
        {"role": "user", "content": "mail jane.roe@example.org, card 4111 1111 1111 1111, key sk-abcdefghijklmnopqrstuv"}])
    a = tel.span(f"chat {MODEL}").attributes
    sent = json.loads(a[attrs.GEN_AI_INPUT_MESSAGES])[0]["parts"][0]["content"]
    assert sent == "mail [EMAIL], card [CARD], key [API_KEY]"
    assert a[attrs.APP_REDACTED] is True and a[attrs.APP_CONTENT_SAMPLED] is True
    out = json.loads(a[attrs.GEN_AI_OUTPUT_MESSAGES])
    assert out[0]["role"] == "assistant" and out[0]["finish_reason"] == "stop"


def test_content_sampling_share(sim, tel_factory):
    tel = tel_factory(capture_content=True, content_sample_rate=0.5)
    c = client(sim)
    for _ in range(40):
        c.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}])
    spans = tel.spans()
    sampled = [s for s in spans if s.attributes.get(attrs.APP_CONTENT_SAMPLED)]
    # the decision is a pure function of the trace id: recompute it independently
    expected = [s for s in spans if (s.context.trace_id & (2**64 - 1)) < 0.5 * 2**64]
    assert {s.context.span_id for s in sampled} == {s.context.span_id for s in expected}
    assert all(attrs.GEN_AI_INPUT_MESSAGES not in s.attributes for s in spans if s not in sampled)


def test_structured_output_parse_and_responses_stream_helper(sim, tel):
    from pydantic import BaseModel

    class Answer(BaseModel):
        text: str

    c = client(sim)
    parsed = c.chat.completions.parse(model=MODEL, messages=[{"role": "user", "content": "hi"}],
                                      response_format=Answer)
    with c.responses.stream(model=MODEL, input="hi") as stream:
        final = stream.get_final_response()
    first, second = tel.spans()
    assert first.attributes[attrs.GEN_AI_RESPONSE_ID] == parsed.id
    assert first.attributes[attrs.GEN_AI_OUTPUT_TYPE] == "json"
    assert second.attributes[attrs.GEN_AI_RESPONSE_ID] == final.id
    assert second.attributes[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] == final.usage.output_tokens


def test_async_embeddings_and_responses(sim, tel):
    async def go():
        c = aclient(sim)
        emb = await c.embeddings.create(model="text-embedding-3-small", input="hello")
        resp = await c.responses.create(model=MODEL, input="hi")
        return emb, resp

    emb, resp = asyncio.run(go())
    first, second = tel.spans()
    assert first.attributes[attrs.GEN_AI_USAGE_INPUT_TOKENS] == emb.usage.prompt_tokens
    assert second.attributes[attrs.GEN_AI_RESPONSE_ID] == resp.id
    assert second.attributes[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] == resp.usage.output_tokens


def test_async_stream_cancelled_while_waiting_for_a_chunk(sim, tel):
    sim.set_faults(MODEL, stall_rate=1.0, stall_s=1.0)  # the stream stops half-way and waits

    async def consume(got_some):
        stream = await aclient(sim).chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "x"}], stream=True)
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                got_some.set()

    async def go():
        got_some = asyncio.Event()
        task = asyncio.create_task(consume(got_some))
        await got_some.wait()
        for _ in range(50):  # let it reach the stall (bounded)
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(go())
    a = tel.span(f"chat {MODEL}").attributes
    assert a[attrs.APP_ERROR_CLASS] == "cancelled"
    assert a[attrs.APP_TTFT_S] > 0
