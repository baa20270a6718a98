"""The real ``openai`` SDK (sync, async, streaming, tools, JSON, embeddings, Responses) against the simulator."""

from __future__ import annotations

import asyncio
import json
import math
import re

import openai
import pytest

from genlens.simulate import Simulator
from tests.simulate.sim_helpers import rendered, tokens

USER = "Tell me about the sea"


def test_chat_json_shape_and_usage(oai: openai.OpenAI) -> None:
    r = oai.chat.completions.create(model="gpt-4o-mini", messages=[
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": USER}])
    assert re.fullmatch(r"chatcmpl-[A-Za-z0-9]{29}", r.id)
    assert r.model == "gpt-4o-mini-2024-07-18"
    assert r.system_fingerprint and r.system_fingerprint.startswith("fp_")
    choice = r.choices[0]
    assert choice.finish_reason == "stop"
    text = choice.message.content
    assert text and text.endswith(".")
    expected_prompt = tokens(rendered(("system", "Be brief."), ("user", USER)))
    assert r.usage is not None
    assert r.usage.prompt_tokens == expected_prompt
    assert r.usage.completion_tokens == tokens(text)
    assert r.usage.total_tokens == expected_prompt + tokens(text)
    assert r.usage.prompt_tokens_details is not None and r.usage.prompt_tokens_details.cached_tokens == 0
    assert 20 <= r.usage.completion_tokens <= 160  # the built-in profile's output range


def test_same_prompt_same_answer_and_dated_name_echoes_itself(oai: openai.OpenAI) -> None:
    msgs = [{"role": "user", "content": "determinism please"}]
    a = oai.chat.completions.create(model="gpt-4o", messages=msgs)
    b = oai.chat.completions.create(model="gpt-4o", messages=msgs)
    assert a.choices[0].message.content == b.choices[0].message.content
    assert a.id != b.id
    c = oai.chat.completions.create(model="gpt-4o-2024-08-06", messages=msgs)
    assert c.model == "gpt-4o-2024-08-06"


def test_max_tokens_gives_length_finish(oai: openai.OpenAI) -> None:
    r = oai.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": USER}],
                                    max_completion_tokens=5)
    assert r.choices[0].finish_reason == "length"
    assert r.usage is not None and r.usage.completion_tokens == 5
    assert len(r.choices[0].message.content or "") == 20


def test_stream_with_usage_matches_json_answer(oai: openai.OpenAI) -> None:
    msgs = [{"role": "user", "content": "stream this"}]
    whole = oai.chat.completions.create(model="gpt-4o-mini", messages=msgs)
    chunks = list(oai.chat.completions.create(model="gpt-4o-mini", messages=msgs, stream=True,
                                              stream_options={"include_usage": True}))
    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert "".join(pieces) == whole.choices[0].message.content
    assert all(len(p) <= 4 for p in pieces)
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert last.usage.completion_tokens == len(pieces)
    assert all(c.usage is None for c in chunks[:-1])
    assert {c.id for c in chunks} == {chunks[0].id}


def test_stream_without_include_usage_has_no_usage(oai: openai.OpenAI) -> None:
    chunks = list(oai.chat.completions.create(model="gpt-4o-mini", stream=True,
                                              messages=[{"role": "user", "content": "x"}]))
    assert all(getattr(c, "usage", None) is None for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"


WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer"},
                   "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
    "required": ["city"]}}}
SEARCH = {"type": "function", "function": {"name": "search", "parameters": {
    "type": "object", "properties": {"q": {"type": "string"}}}}}


def test_tool_call_then_tool_result_then_text(oai: openai.OpenAI) -> None:
    msgs: list[dict] = [{"role": "user", "content": "What is the weather in Paris?"}]
    r = oai.chat.completions.create(model="gpt-4o", messages=msgs, tools=[WEATHER, SEARCH])
    choice = r.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    (call,) = choice.message.tool_calls or []
    assert call.function.name == "get_weather" and re.fullmatch(r"call_[A-Za-z0-9]{24}", call.id)
    args = json.loads(call.function.arguments)
    hint = "What is the weather in Paris"
    assert args == {"city": hint, "days": len(hint) % 100, "unit": "celsius"}
    assert r.usage is not None
    assert r.usage.completion_tokens == tokens("get_weather") + tokens(call.function.arguments)
    msgs += [{"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
             {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21C"}]
    r2 = oai.chat.completions.create(model="gpt-4o", messages=msgs, tools=[WEATHER, SEARCH])
    assert r2.choices[0].finish_reason == "stop" and r2.choices[0].message.content


def test_tool_choice_named_and_none(oai: openai.OpenAI) -> None:
    msgs = [{"role": "user", "content": "find cats"}]
    named = oai.chat.completions.create(model="gpt-4o", messages=msgs, tools=[WEATHER, SEARCH],
                                        tool_choice={"type": "function", "function": {"name": "search"}})
    assert (named.choices[0].message.tool_calls or [])[0].function.name == "search"
    none = oai.chat.completions.create(model="gpt-4o", messages=msgs, tools=[WEATHER], tool_choice="none")
    assert none.choices[0].finish_reason == "stop" and not none.choices[0].message.tool_calls


def test_streamed_tool_call_assembles(oai: openai.OpenAI) -> None:
    chunks = list(oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Rome"}],
                                              tools=[WEATHER], stream=True))
    deltas = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert deltas[0].id and deltas[0].function and deltas[0].function.name == "get_weather"
    arguments = "".join(d.function.arguments or "" for d in deltas if d.function)
    assert json.loads(arguments)["city"] == "Rome"
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_json_modes(oai: openai.OpenAI) -> None:
    r = oai.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "json pls"}],
                                    response_format={"type": "json_object"})
    assert isinstance(json.loads(r.choices[0].message.content or ""), dict)
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                                                "tags": {"type": "array", "items": {"type": "string"}},
                                                "ok": {"type": "boolean"}}, "required": ["name", "age"]}
    r = oai.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Ada Lovelace"}],
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": schema}})
    doc = json.loads(r.choices[0].message.content or "")
    assert doc == {"name": "Ada Lovelace", "age": 12, "tags": ["Ada Lovelace"], "ok": True}


def test_async_client_concurrent_calls(sim: Simulator) -> None:
    async def main() -> list[str]:
        async with openai.AsyncOpenAI(base_url=sim.url + "/v1", api_key="k", max_retries=0) as client:
            calls = [client.chat.completions.create(model="gpt-4o-mini",
                                                    messages=[{"role": "user", "content": f"q{i}"}])
                     for i in range(20)]
            results = await asyncio.gather(*calls)
            stream = await client.chat.completions.create(model="gpt-4o-mini", stream=True,
                                                          messages=[{"role": "user", "content": "q0"}])
            streamed = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
            assert streamed == results[0].choices[0].message.content
            return [r.model for r in results]

    assert asyncio.run(main()) == ["gpt-4o-mini-2024-07-18"] * 20


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_embeddings_default_base64_float_and_dimensions(oai: openai.OpenAI) -> None:
    texts = ["the cat sat on the mat", "the cat sat on a rug", "quarterly revenue grew"]
    default = oai.embeddings.create(model="text-embedding-3-small", input=texts)  # SDK asks for base64
    explicit = oai.embeddings.create(model="text-embedding-3-small", input=texts, encoding_format="float")
    vectors = [d.embedding for d in explicit.data]
    assert [d.index for d in explicit.data] == [0, 1, 2]
    assert all(len(v) == 1536 for v in vectors)
    for got, want in zip((d.embedding for d in default.data), vectors, strict=True):
        assert got == pytest.approx(want, abs=1e-6)  # float32 round trip
    for v in vectors:
        assert math.sqrt(sum(x * x for x in v)) == pytest.approx(1.0, abs=1e-9)
    assert _cos(vectors[0], vectors[1]) > _cos(vectors[0], vectors[2])
    assert explicit.usage.prompt_tokens == sum(tokens(t) for t in texts)
    small = oai.embeddings.create(model="text-embedding-3-large", input="hi", dimensions=256)
    assert len(small.data[0].embedding) == 256
    again = oai.embeddings.create(model="text-embedding-3-large", input="hi", dimensions=256)
    assert again.data[0].embedding == small.data[0].embedding


def test_embeddings_bad_dimensions_and_chat_model(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        oai.embeddings.create(model="text-embedding-3-small", input="x", dimensions=5000)
    with pytest.raises(openai.NotFoundError):
        oai.embeddings.create(model="gpt-4o-mini", input="x")
    with pytest.raises(openai.NotFoundError):
        oai.chat.completions.create(model="text-embedding-3-small", messages=[{"role": "user", "content": "x"}])


def test_responses_api_json_stream_and_tools(oai: openai.OpenAI) -> None:
    r = oai.responses.create(model="gpt-4o-mini", input="hello", instructions="Be kind.")
    assert r.id.startswith("resp_") and r.status == "completed" and r.model == "gpt-4o-mini-2024-07-18"
    expected = tokens(rendered(("developer", "Be kind."), ("user", "hello")))
    assert r.usage is not None and r.usage.input_tokens == expected
    assert r.usage.output_tokens == tokens(r.output_text)
    with oai.responses.stream(model="gpt-4o-mini", input="hello", instructions="Be kind.") as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert final.output_text == r.output_text
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert kinds.count("response.output_text.delta") == r.usage.output_tokens
    tool = {"type": "function", "name": "lookup", "parameters": {"type": "object",
                                                                 "properties": {"key": {"type": "string"}}}}
    t = oai.responses.create(model="gpt-4o", input=[{"role": "user", "content": "find docs"}], tools=[tool])
    (call,) = t.output
    assert call.type == "function_call" and call.name == "lookup" and json.loads(call.arguments) == {"key": "find docs"}
    with oai.responses.stream(model="gpt-4o", input=[{"role": "user", "content": "find docs"}],
                              tools=[tool]) as stream:
        streamed = stream.get_final_response()
    assert streamed.output[0].type == "function_call" and streamed.output[0].arguments == call.arguments
    follow = oai.responses.create(model="gpt-4o", tools=[tool], input=[
        {"role": "user", "content": "find docs"},
        {"type": "function_call", "call_id": call.call_id, "name": "lookup", "arguments": call.arguments},
        {"type": "function_call_output", "call_id": call.call_id, "output": "doc 1"}])
    assert follow.output_text
    cut = oai.responses.create(model="gpt-4o-mini", input="hello", max_output_tokens=16)
    assert cut.status == "incomplete" and cut.incomplete_details is not None
    assert cut.incomplete_details.reason == "max_output_tokens"


def test_reasoning_models_report_reasoning_tokens(oai: openai.OpenAI) -> None:
    r = oai.chat.completions.create(model="o3-mini", messages=[{"role": "user", "content": "think"}])
    assert r.model == "o3-mini-2025-01-31" and r.usage is not None
    details = r.usage.completion_tokens_details
    assert details is not None and 64 <= (details.reasoning_tokens or 0) <= 640
    assert r.usage.completion_tokens == tokens(r.choices[0].message.content or "") + details.reasoning_tokens
    resp = oai.responses.create(model="gpt-5", input="think")
    assert [item.type for item in resp.output] == ["reasoning", "message"]
    assert resp.usage is not None and 64 <= resp.usage.output_tokens_details.reasoning_tokens <= 512
    assert resp.usage.output_tokens == tokens(resp.output_text) + resp.usage.output_tokens_details.reasoning_tokens
    with oai.responses.stream(model="gpt-5", input="think") as stream:
        final = stream.get_final_response()
    assert final.output_text == resp.output_text


def test_reasoning_delays_first_token() -> None:
    from genlens.simulate import ModelProfile, SimulatorConfig, run_simulator

    thinker = ModelProfile("thinker-1", queue_s=1.0, prefill_s_per_token=0.0, decode_s_per_token=0.5,
                           output_tokens=(4, 4), reasoning_tokens=(10, 10))
    cfg = SimulatorConfig(models={"thinker": thinker}, jitter=0.0, latency_scale=0.001)
    with run_simulator(config=cfg) as s, openai.OpenAI(base_url=s.url + "/v1", api_key="k",
                                                       max_retries=0) as client:
        raw = client.chat.completions.with_raw_response.create(model="thinker", messages=[
            {"role": "user", "content": "q"}])
    usage = raw.parse().usage
    assert usage is not None and usage.completion_tokens == 4 + 10
    # TTFT = (queue) * scale + reasoning * TPOT = 1.0 * 0.001 + 10 * 0.0005 seconds
    assert float(raw.headers["x-simulator-ttft-ms"]) == pytest.approx((0.001 + 10 * 0.0005) * 1000, abs=1e-3)
