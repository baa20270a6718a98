"""Legacy OpenAI Completions (``POST /v1/completions``) with the real ``openai`` SDK and raw HTTP."""

from __future__ import annotations

import json
import re

import httpx
import openai
import pytest

from genlens.simulate import ModelProfile, Simulator, SimulatorConfig, run_simulator
from tests.simulate.sim_helpers import tokens

MODEL = "gpt-3.5-turbo-instruct"
PROMPT = "Write a tagline for an ice cream shop."


def _sse(text: str) -> list[str]:
    """The ``data:`` payloads of an SSE body, checking every event is one data line and a blank line."""
    events = text.split("\n\n")
    assert events[-1] == ""
    assert all(e.startswith("data: ") and "\n" not in e for e in events[:-1]), events
    return [e.removeprefix("data: ") for e in events[:-1]]


def test_json_shape_usage_and_default_max_tokens(oai: openai.OpenAI) -> None:
    r = oai.completions.create(model=MODEL, prompt=PROMPT)
    assert re.fullmatch(r"cmpl-[A-Za-z0-9]{29}", r.id)
    assert r.object == "text_completion" and r.model == MODEL
    assert len(r.choices) == 1
    choice = r.choices[0]
    assert choice.index == 0 and choice.logprobs is None
    # max_tokens defaults to 16 and the built-in profile always wants at least 20 tokens
    assert choice.finish_reason == "length" and len(choice.text) == 16 * 4
    assert r.usage is not None
    # a raw prompt is counted as it is: no role markers
    assert r.usage.prompt_tokens == tokens(PROMPT)
    assert r.usage.completion_tokens == tokens(choice.text) == 16
    assert r.usage.total_tokens == tokens(PROMPT) + 16
    raw = r.model_dump()
    assert set(raw["choices"][0]) == {"text", "index", "logprobs", "finish_reason"}


def test_stop_finish_when_max_tokens_is_generous(oai: openai.OpenAI) -> None:
    r = oai.completions.create(model="davinci-002", prompt=PROMPT, max_tokens=1000)
    text = r.choices[0].text
    assert r.choices[0].finish_reason == "stop" and text.endswith(".")
    assert r.usage is not None and r.usage.completion_tokens == tokens(text)
    assert 20 <= r.usage.completion_tokens <= 160


def test_list_prompts_times_n(oai: openai.OpenAI) -> None:
    prompts = ["First prompt here", "Second, a longer prompt than the first one"]
    r = oai.completions.create(model=MODEL, prompt=prompts, n=2, max_tokens=200)
    assert [c.index for c in r.choices] == [0, 1, 2, 3]
    assert r.usage is not None
    # each prompt counts once however many choices it gets
    assert r.usage.prompt_tokens == sum(tokens(p) for p in prompts)
    assert r.usage.completion_tokens == sum(tokens(c.text) for c in r.choices)
    # choices are grouped by prompt: the first of each group is that prompt's single answer
    for i, prompt in enumerate(prompts):
        alone = oai.completions.create(model=MODEL, prompt=prompt, max_tokens=200)
        assert r.choices[2 * i].text == alone.choices[0].text
        assert r.choices[2 * i + 1].text != alone.choices[0].text  # the second choice is another answer
    again = oai.completions.create(model=MODEL, prompt=prompts, n=2, max_tokens=200)
    assert [c.text for c in again.choices] == [c.text for c in r.choices]


def test_stream_framing_with_usage(sim: Simulator, oai: openai.OpenAI) -> None:
    body = {"model": MODEL, "prompt": ["one", "two two"], "n": 2, "max_tokens": 40}
    whole = oai.completions.create(**body)
    with httpx.Client(base_url=sim.url) as client:
        r = client.post("/v1/completions", json={**body, "stream": True, "stream_options": {"include_usage": True}})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    payloads = _sse(r.text)
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert {c["id"] for c in chunks} == {chunks[0]["id"]} and chunks[0]["id"].startswith("cmpl-")
    assert all(c["object"] == "text_completion" and c["model"] == MODEL for c in chunks)
    *body_chunks, last = chunks
    assert whole.usage is not None
    assert last["choices"] == [] and last["usage"] == {
        "prompt_tokens": whole.usage.prompt_tokens, "completion_tokens": whole.usage.completion_tokens,
        "total_tokens": whole.usage.total_tokens}
    assert all(c["usage"] is None and len(c["choices"]) == 1 for c in body_chunks)
    texts: dict[int, str] = {}
    finishes: dict[int, list[str]] = {}
    for c in body_chunks:
        choice = c["choices"][0]
        assert choice["logprobs"] is None
        if choice["finish_reason"] is None:
            assert 1 <= len(choice["text"]) <= 4  # one 4-character piece per token
            texts[choice["index"]] = texts.get(choice["index"], "") + choice["text"]
        else:
            assert choice["text"] == ""
            finishes.setdefault(choice["index"], []).append(choice["finish_reason"])
    assert texts == {c.index: c.text for c in whole.choices}
    assert finishes == {c.index: [c.finish_reason] for c in whole.choices}
    pieces = sum(1 for c in body_chunks if c["choices"][0]["text"])
    assert last["usage"]["completion_tokens"] == pieces


def test_stream_without_usage_and_sdk_reassembly(oai: openai.OpenAI) -> None:
    whole = oai.completions.create(model=MODEL, prompt=PROMPT, max_tokens=30)
    chunks = list(oai.completions.create(model=MODEL, prompt=PROMPT, max_tokens=30, stream=True))
    assert all(c.usage is None and len(c.choices) == 1 for c in chunks)
    assert "".join(c.choices[0].text for c in chunks) == whole.choices[0].text
    assert [c.choices[0].finish_reason for c in chunks if c.choices[0].finish_reason] == ["length"]


def test_unprefixed_route_and_unknown_model_profile(sim: Simulator) -> None:
    with httpx.Client(base_url=sim.url) as client:
        r = client.post("/completions", json={"model": "my-base-model", "prompt": "hi", "max_tokens": 3})
    assert r.status_code == 200
    data = r.json()
    assert data["model"] == "my-base-model" and data["usage"]["completion_tokens"] == 3


def test_api_family_mismatch_is_404(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        oai.completions.create(model="gpt-4o-mini", prompt="x")
    with pytest.raises(openai.NotFoundError):
        oai.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}])


@pytest.mark.parametrize(("body", "code"), [
    ({"prompt": "x"}, "missing_required"),
    ({"model": MODEL}, "missing_required"),
    ({"model": MODEL, "prompt": 7}, "invalid_type"),
    ({"model": MODEL, "prompt": []}, "invalid_type"),
    ({"model": MODEL, "prompt": ["ok", 3]}, "invalid_type"),
    ({"model": MODEL, "prompt": [1, 2, 3]}, "invalid_type"),
    ({"model": MODEL, "prompt": "x", "n": "2"}, "invalid_value"),
    ({"model": MODEL, "prompt": "x", "n": 0}, "invalid_value"),
    ({"model": MODEL, "prompt": "x", "n": True}, "invalid_value"),
    ({"model": MODEL, "prompt": "x", "max_tokens": "many"}, "invalid_value"),
    ({"model": MODEL, "prompt": "x", "max_tokens": 0}, "invalid_value"),
    ({"model": MODEL, "prompt": "x", "max_tokens": 10**12}, "context_length_exceeded"),
    ({"model": MODEL, "prompt": "x" * 16_000, "max_tokens": 100}, "context_length_exceeded"),
    ({"model": MODEL, "prompt": "x", "n": 3, "best_of": 2}, "invalid_value"),
    ({"model": MODEL, "prompt": "x", "best_of": 2, "stream": True}, "invalid_value"),
    ({"model": MODEL, "prompt": ["x"] * 100, "n": 50}, "invalid_value"),
])
def test_bad_input_is_openai_shaped_400(sim: Simulator, body: dict, code: str) -> None:
    with httpx.Client(base_url=sim.url) as client:
        r = client.post("/v1/completions", json=body)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error" and error["code"] == code
    assert sim.stats()["counters"].get("internal_errors", 0) == 0


def test_context_error_names_the_numbers(sim: Simulator) -> None:
    with httpx.Client(base_url=sim.url) as client:
        r = client.post("/v1/completions", json={"model": MODEL, "prompt": "x" * 400, "max_tokens": 4000})
    # 4,096-token window; 100 prompt tokens + 4,000 asked
    assert "maximum context length is 4096 tokens" in r.json()["error"]["message"]
    assert "requested 4100 tokens (100 in your prompt; 4000 for the completion)" in r.json()["error"]["message"]


def test_faults_apply(sim: Simulator, oai: openai.OpenAI) -> None:
    sim.set_faults(MODEL, error_rates={429: 1.0}, retry_after_s=2)
    with pytest.raises(openai.RateLimitError) as caught:
        oai.completions.create(model=MODEL, prompt="x")
    assert caught.value.response.headers["retry-after"] == "2"
    assert caught.value.body["code"] == "rate_limit_exceeded"  # type: ignore[index]
    sim.set_faults(MODEL, content_filter_rate=1.0)
    r = oai.completions.create(model=MODEL, prompt=PROMPT, n=2, max_tokens=100)
    assert [c.finish_reason for c in r.choices] == ["content_filter", "content_filter"]
    assert sim.stats()["counters"]["faults.content_filter"] >= 1


def test_planned_ttft_is_the_slowest_prompt() -> None:
    profile = ModelProfile("base-1", kind="completion", queue_s=0.5, prefill_s_per_token=0.01,
                           decode_s_per_token=0.2, output_tokens=(3, 3))
    cfg = SimulatorConfig(models={"base": profile}, jitter=0.0, latency_scale=0.001)
    with run_simulator(config=cfg) as s, httpx.Client(base_url=s.url) as client:
        r = client.post("/v1/completions", json={"model": "base", "prompt": ["x" * 40, "y" * 400]})
    assert r.status_code == 200 and r.json()["usage"]["prompt_tokens"] == 10 + 100
    assert float(r.headers["x-simulator-ttft-ms"]) == pytest.approx((0.5 + 0.01 * 100) * 0.001 * 1000, abs=1e-3)
    assert float(r.headers["x-simulator-tpot-ms"]) == pytest.approx(0.2 * 0.001 * 1000, abs=1e-3)
