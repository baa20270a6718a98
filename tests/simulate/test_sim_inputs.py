"""Malformed, oversized and hostile requests; OpenAI's automatic prompt cache; config validation."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import openai
import pytest

from genlens.errors import ConfigError
from genlens.simulate import Simulator, SimulatorConfig, run_simulator
from genlens.simulate.text import embedding, value_for_schema, words
from tests.simulate.sim_helpers import rendered, tokens


def test_openai_automatic_prompt_cache(oai: openai.OpenAI) -> None:
    long_system = "You answer questions about the handbook. " * 150  # 6,300 chars
    msgs = [{"role": "system", "content": long_system}, {"role": "user", "content": "question one"}]
    first = oai.chat.completions.create(model="gpt-4.1", messages=msgs)
    assert first.usage is not None and first.usage.prompt_tokens_details is not None
    assert first.usage.prompt_tokens_details.cached_tokens == 0
    msgs2 = [msgs[0], {"role": "user", "content": "a different second question"}]
    second = oai.chat.completions.create(model="gpt-4.1", messages=msgs2)
    # independently: whole 512-char blocks shared by both prompts, counted as 128 tokens each
    a, b = rendered(("system", long_system), ("user", "question one")), rendered(
        ("system", long_system), ("user", "a different second question"))
    shared = 0
    while shared + 512 <= min(len(a), len(b)) and a[shared:shared + 512] == b[shared:shared + 512]:
        shared += 512
    assert second.usage is not None and second.usage.prompt_tokens_details is not None
    assert second.usage.prompt_tokens_details.cached_tokens == shared // 4 >= 1024
    assert second.usage.prompt_tokens == tokens(b)  # cached tokens are included in prompt_tokens
    short = [{"role": "user", "content": "tiny"}]
    for _ in range(2):
        r = oai.chat.completions.create(model="gpt-4.1", messages=short)
        assert r.usage is not None and r.usage.prompt_tokens_details is not None
        assert r.usage.prompt_tokens_details.cached_tokens == 0  # below the 1,024-token minimum


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/responses", "/v1/messages", "/v1/embeddings",
                                  "/v1/completions"])
@pytest.mark.parametrize("body", [
    b"{not json", b"[1, 2, 3]", b"\"just a string\"", b"", json.dumps({"messages": []}).encode(),
    json.dumps({"model": 7}).encode(),
    json.dumps({"model": "gpt-4o", "messages": "hello", "input": 5, "max_tokens": "many"}).encode(),
    json.dumps({"model": "claude-opus-4-5", "max_tokens": 5, "messages": [{"role": "robot", "content": 1}]}).encode(),
    json.dumps({"model": "gpt-4o", "max_tokens": 5, "messages": [{"role": "user", "content": [1, {"x": 2}]}],
                "tools": "all", "response_format": {"type": "json_schema", "json_schema": 3}}).encode(),
    json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "x", "tool_calls": 5}],
                "tools": [{"type": "function"}]}).encode(),
])
def test_malformed_bodies_get_provider_shaped_4xx(sim: Simulator, path: str, body: bytes) -> None:
    with httpx.Client(base_url=sim.url) as client:
        r = client.post(path, content=body, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    payload = r.json()
    if path == "/v1/messages":
        assert payload["type"] == "error" and payload["error"]["type"] in (
            "invalid_request_error", "not_found_error")
    else:
        assert set(payload["error"]) >= {"message", "type", "param", "code"}
    assert sim.stats()["counters"].get("internal_errors", 0) == 0


def test_oversized_body_is_413_without_reading_it_all() -> None:
    with run_simulator(config=SimulatorConfig(latency_scale=0, max_body_bytes=10_000)) as s, \
            httpx.Client(base_url=s.url) as client:
        big = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "x" * 20_000}]})
        r = client.post("/v1/chat/completions", content=big)
        assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"

        def chunks():  # no content-length: the limit is enforced while reading
            for _ in range(50):
                yield b"x" * 1000

        r = client.post("/v1/messages", content=chunks())
        assert r.status_code == 413 and r.json()["error"]["type"] == "request_too_large"


def test_hostile_schema_and_huge_inputs(oai: openai.OpenAI) -> None:
    deep: dict = {"type": "object", "properties": {}}
    node = deep
    for _ in range(200):  # a very deep schema is cut off, not recursed into
        child: dict = {"type": "object", "properties": {}}
        node["properties"]["n"] = child
        node = child
    tool = {"type": "function", "function": {"name": "deep", "parameters": deep}}
    r = oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "go"}], tools=[tool])
    assert json.loads((r.choices[0].message.tool_calls or [])[0].function.arguments)
    with pytest.raises(openai.BadRequestError) as caught:  # more than the 128k context window
        oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "y" * 600_000}])
    assert caught.value.code == "context_length_exceeded"
    with pytest.raises(openai.BadRequestError):
        oai.embeddings.create(model="text-embedding-3-small", input=["a"] * 3000)
    unicode = oai.embeddings.create(model="text-embedding-3-small", input="😀 \x00 ünïcødé", dimensions=4)
    assert len(unicode.data[0].embedding) == 4
    lone = b'{"model":"text-embedding-3-small","input":"\\ud83d alone"}'  # a lone surrogate escape
    assert httpx.post(str(oai.base_url) + "embeddings", content=lone).status_code in (200, 400)


def test_unknown_models_and_routes(sim: Simulator, oai: openai.OpenAI) -> None:
    r = oai.chat.completions.create(model="my-finetune", messages=[{"role": "user", "content": "x"}])
    assert r.model == "my-finetune"
    with run_simulator(config=SimulatorConfig(latency_scale=0, strict_models=True)) as strict, \
            openai.OpenAI(base_url=strict.url + "/v1", api_key="k", max_retries=0) as client:
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(model="my-finetune", messages=[{"role": "user", "content": "x"}])
    with httpx.Client(base_url=sim.url) as client:
        assert client.get("/v1/nothing").status_code == 404
        assert client.get("/v1/models").json()["data"]
        assert client.get("/health").json() == {"ok": True}


def test_text_helpers_are_deterministic_and_bounded() -> None:
    text = words(12345, 10)
    assert len(text) == 40 and text.endswith(".") and text[0].isupper()
    assert value_for_schema({"anyOf": [{"type": "integer"}, {"type": "string"}]}, "abc") == 3
    assert value_for_schema({"type": ["null", "boolean"]}, "ab") is True
    vec = embedding("", 16)
    assert abs(sum(v * v for v in vec) - 1.0) < 1e-9


def test_config_file_and_validation(tmp_path: Path) -> None:
    path = tmp_path / "sim.yaml"
    path.write_text(
        "seed: 3\nlatency_scale: 0\nmodels:\n  gpt-4o-mini:\n    output_tokens: [2, 2]\n"
        "  acme-1:\n    provider: anthropic\n    response_model: acme-1-2025\n"
        "faults:\n  acme-1:\n    error_rates: {529: 1.0}\n", encoding="utf-8")
    cfg = SimulatorConfig.from_file(path)
    assert cfg.seed == 3 and cfg.models["gpt-4o-mini"].output_tokens == (2, 2)
    assert cfg.models["gpt-4o-mini"].response_model == "gpt-4o-mini-2024-07-18"
    with run_simulator(config=cfg) as s, httpx.Client(base_url=s.url) as client:
        r = client.post("/v1/chat/completions", json={"model": "gpt-4o-mini",
                                                      "messages": [{"role": "user", "content": "x"}]})
        assert r.json()["usage"]["completion_tokens"] == 2
        r = client.post("/v1/messages", json={"model": "acme-1", "max_tokens": 4,
                                              "messages": [{"role": "user", "content": "x"}]})
        assert r.status_code == 529 and r.json()["error"]["type"] == "overloaded_error"
    for bad in ("sed: 1\n", "models:\n  x:\n    speed: 3\n", "faults:\n  x:\n    error_rates: {404: 0.1}\n",
                "latency_scale: -1\n", "models:\n  x:\n    output_tokens: [5, 1]\n", "- a list\n", "a: [\n"):
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(ConfigError):
            SimulatorConfig.from_file(path)
    with pytest.raises(ConfigError):
        SimulatorConfig.from_file(tmp_path / "missing.yaml")


def test_documented_yaml_example_loads() -> None:
    import textwrap

    import yaml

    from genlens.simulate import config as config_module

    doc = config_module.__doc__ or ""
    example = textwrap.dedent(doc.split("looks like::", 1)[1].split('"""', 1)[0])
    cfg = SimulatorConfig.from_mapping(yaml.safe_load(example))
    assert cfg.seed == 7 and cfg.models["my-finetune"].response_model == "my-finetune-2025-01-01"
    assert cfg.faults["gpt-4o-mini"].error_rates == {429: 0.2, 500: 0.01}
    assert cfg.faults["*"].outages[0].status == 503


def test_templated_frames_equal_plain_encoding() -> None:
    from genlens.simulate.http import sse, templated

    def make(piece: str) -> bytes:
        return sse({"model": "m", "delta": {"text": piece}, "n": 1}, "content_block_delta")

    fast = templated(make)
    for piece in ['"q"', "a\\b", "\n\x00", "ünï😀", "@@piece@@", ""]:
        assert fast(piece) == make(piece)

    def clash(piece: str) -> bytes:  # the sentinel appears twice: the plain encoder is used
        return sse({"model": "@@piece@@", "text": piece})

    assert templated(clash) is clash
