"""The real ``anthropic`` SDK (sync, async, streaming, tools, prompt caching) against the simulator."""

from __future__ import annotations

import asyncio
import json
import re

import anthropic
import pytest

from genlens.simulate import Simulator
from tests.simulate.sim_helpers import rendered, tokens

MODEL = "claude-opus-4-5"
DATED = "claude-opus-4-5-20251101"


def test_message_shape_and_usage(claude: anthropic.Anthropic) -> None:
    m = claude.messages.create(model=MODEL, max_tokens=1000, system="You are terse.",
                               messages=[{"role": "user", "content": "Describe the sky"}])
    assert re.fullmatch(r"msg_01[A-Za-z0-9]{22}", m.id)
    assert m.model == DATED and m.role == "assistant" and m.stop_reason == "end_turn"
    (block,) = m.content
    assert block.type == "text" and block.text.endswith(".")
    expected = tokens(rendered(("system", "You are terse."), ("user", "Describe the sky")))
    assert m.usage.input_tokens == expected
    assert m.usage.cache_read_input_tokens == 0 and m.usage.cache_creation_input_tokens == 0
    assert m.usage.output_tokens == tokens(block.text)


def test_max_tokens_stop_reason(claude: anthropic.Anthropic) -> None:
    m = claude.messages.create(model=MODEL, max_tokens=3, messages=[{"role": "user", "content": "long story"}])
    assert m.stop_reason == "max_tokens" and m.usage.output_tokens == 3


def test_stream_events_and_accumulated_message(claude: anthropic.Anthropic) -> None:
    kwargs = {"model": MODEL, "max_tokens": 1000, "messages": [{"role": "user", "content": "stream please"}]}
    whole = claude.messages.create(**kwargs)
    events = list(claude.messages.create(stream=True, **kwargs))
    kinds = [e.type for e in events]
    assert kinds[0] == "message_start" and kinds[1] == "content_block_start"
    assert kinds[-2:] == ["message_delta", "message_stop"]
    deltas = [e.delta.text for e in events if e.type == "content_block_delta"]
    assert "".join(deltas) == whole.content[0].text
    start, delta = events[0], events[-2]
    assert start.message.usage.input_tokens == whole.usage.input_tokens
    assert delta.usage.output_tokens == len(deltas) == whole.usage.output_tokens
    assert delta.delta.stop_reason == "end_turn"
    with claude.messages.stream(**kwargs) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == whole.content[0].text and final.usage.output_tokens == whole.usage.output_tokens


TOOLS = [{"name": "get_stock", "description": "price", "input_schema": {
    "type": "object", "properties": {"ticker": {"type": "string"}, "exchange": {"enum": ["NYSE", "LSE"]}},
    "required": ["ticker"]}},
    {"name": "noop", "input_schema": {"type": "object", "properties": {}}}]


def test_tool_use_round_trip_and_stream(claude: anthropic.Anthropic) -> None:
    msgs: list[dict] = [{"role": "user", "content": "price of ACME"}]
    m = claude.messages.create(model=MODEL, max_tokens=500, messages=msgs, tools=TOOLS)
    assert m.stop_reason == "tool_use"
    (use,) = m.content
    assert use.type == "tool_use" and re.fullmatch(r"toolu_01[A-Za-z0-9]{22}", use.id)
    assert use.name == "get_stock" and use.input == {"ticker": "price of ACME", "exchange": "NYSE"}
    args = json.dumps(use.input, separators=(",", ":"))
    assert m.usage.output_tokens == tokens("get_stock") + tokens(args)
    with claude.messages.stream(model=MODEL, max_tokens=500, messages=msgs, tools=TOOLS) as stream:
        streamed = stream.get_final_message()
    assert streamed.content[0].input == use.input and streamed.stop_reason == "tool_use"
    forced = claude.messages.create(model=MODEL, max_tokens=500, messages=msgs, tools=TOOLS,
                                    tool_choice={"type": "tool", "name": "noop"})
    assert forced.content[0].name == "noop" and forced.content[0].input == {}
    msgs += [{"role": "assistant", "content": [use.model_dump(include={"type", "id", "name", "input"})]},
             {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "42.0"}]}]
    after = claude.messages.create(model=MODEL, max_tokens=500, messages=msgs, tools=TOOLS)
    assert after.stop_reason == "end_turn" and after.content[0].type == "text"


def test_cache_control_write_then_read(claude: anthropic.Anthropic) -> None:
    manual = "Policy section. " * 600  # 9,600 chars ≈ 2,400 tokens, above the 1,024 minimum
    system = [{"type": "text", "text": manual, "cache_control": {"type": "ephemeral"}}]
    total = tokens(rendered(("system", manual), ("user", "first question")))
    prefix = tokens(rendered(("system", manual)))
    first = claude.messages.create(model=MODEL, max_tokens=50, system=system,
                                   messages=[{"role": "user", "content": "first question"}])
    assert first.usage.cache_creation_input_tokens == prefix
    assert first.usage.cache_read_input_tokens == 0
    assert first.usage.input_tokens == total - prefix
    second = claude.messages.create(model=MODEL, max_tokens=50, system=system,
                                    messages=[{"role": "user", "content": "second question!"}])
    assert second.usage.cache_read_input_tokens == prefix
    assert second.usage.cache_creation_input_tokens == 0
    assert second.usage.input_tokens == tokens(rendered(("system", manual), ("user", "second question!"))) - prefix
    plain = claude.messages.create(model=MODEL, max_tokens=50, system=manual,
                                   messages=[{"role": "user", "content": "no markers"}])
    assert plain.usage.cache_read_input_tokens == 0 and plain.usage.cache_creation_input_tokens == 0


def test_short_marked_prefix_is_not_cached(claude: anthropic.Anthropic) -> None:
    system = [{"type": "text", "text": "short", "cache_control": {"type": "ephemeral"}}]
    for _ in range(2):
        m = claude.messages.create(model=MODEL, max_tokens=20, system=system,
                                   messages=[{"role": "user", "content": "q"}])
        assert m.usage.cache_creation_input_tokens == 0 and m.usage.cache_read_input_tokens == 0


def test_async_client(sim: Simulator) -> None:
    async def main() -> list[str]:
        async with anthropic.AsyncAnthropic(base_url=sim.url, api_key="k", max_retries=0) as client:
            results = await asyncio.gather(*[
                client.messages.create(model="claude-haiku-4-5", max_tokens=64,
                                       messages=[{"role": "user", "content": f"n{i}"}]) for i in range(10)])
            async with client.messages.stream(model="claude-haiku-4-5", max_tokens=64,
                                              messages=[{"role": "user", "content": "n0"}]) as stream:
                final = await stream.get_final_message()
            assert final.content[0].text == results[0].content[0].text
            return [r.model for r in results]

    assert asyncio.run(main()) == ["claude-haiku-4-5-20251001"] * 10


def test_count_tokens(claude: anthropic.Anthropic) -> None:
    counted = claude.messages.count_tokens(model=MODEL, messages=[{"role": "user", "content": "count me"}])
    assert counted.input_tokens == tokens(rendered(("user", "count me")))


@pytest.mark.parametrize("status, error", [
    (429, anthropic.RateLimitError), (500, anthropic.InternalServerError),
    (503, anthropic.ServiceUnavailableError), (529, anthropic.OverloadedError)])
def test_error_classes(sim: Simulator, claude: anthropic.Anthropic, status: int, error: type) -> None:
    sim.set_faults(MODEL, error_rates={status: 1.0}, retry_after_s=2)
    with pytest.raises(error) as caught:
        claude.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "x"}])
    assert caught.value.status_code == status
    assert caught.value.response.headers["request-id"].startswith("req_")
    body = caught.value.body
    assert isinstance(body, dict) and body["type"] == "error" and body["error"]["message"]
    if status == 429:
        assert caught.value.response.headers["retry-after"] == "2"


def test_output_format_json_schema_and_invalid_json_fault(sim: Simulator, claude: anthropic.Anthropic) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "rank": {"type": "integer"}}}
    fmt = {"output_format": {"type": "json_schema", "schema": schema}}
    m = claude.messages.create(model=MODEL, max_tokens=200, messages=[{"role": "user", "content": "Oslo"}],
                               extra_body=fmt)
    assert json.loads(m.content[0].text) == {"city": "Oslo", "rank": 4}
    sim.set_faults(MODEL, invalid_json_rate=1.0)
    broken = claude.messages.create(model=MODEL, max_tokens=200, messages=[{"role": "user", "content": "Oslo"}],
                                    extra_body=fmt)
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken.content[0].text)
