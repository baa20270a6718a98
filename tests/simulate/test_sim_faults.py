"""Fault injection: rates, latency multipliers, stalls, content faults, outages, the admin API."""

from __future__ import annotations

import json
import time
from collections import Counter

import anthropic
import httpx
import openai
import pytest

from genlens.simulate import ModelProfile, Simulator, SimulatorConfig, run_simulator

MSG = [{"role": "user", "content": "hello"}]


def test_twenty_percent_429_over_2000_sdk_calls(sim: Simulator, oai: openai.OpenAI) -> None:
    sim.reset_stats()
    sim.set_faults("gpt-4o-mini", error_rates={429: 0.2})
    seen: Counter[int] = Counter()
    for _ in range(2000):
        try:
            oai.chat.completions.create(model="gpt-4o-mini", messages=MSG, max_completion_tokens=4)
            seen[200] += 1
        except openai.RateLimitError as exc:
            assert exc.response.headers["retry-after"] == "1"
            assert exc.code == "rate_limit_exceeded"
            seen[429] += 1
    assert sum(seen.values()) == 2000
    assert 0.17 <= seen[429] / 2000 <= 0.23
    assert sim.stats()["requests"]["gpt-4o-mini"] == {"200": seen[200], "429": seen[429]}
    assert sim.stats()["counters"]["faults.status_429"] == seen[429]


def test_mixed_error_rates_over_2000_raw_calls(sim: Simulator) -> None:
    rates = {429: 0.10, 500: 0.05, 503: 0.05, 529: 0.10}
    sim.set_faults("claude-opus-4-5", error_rates=rates)
    body = {"model": "claude-opus-4-5", "max_tokens": 4, "messages": MSG}
    seen: Counter[int] = Counter()
    with httpx.Client(base_url=sim.url) as client:
        for _ in range(2000):
            seen[client.post("/v1/messages", json=body).status_code] += 1
    for status, rate in rates.items():
        assert abs(seen[status] / 2000 - rate) <= 0.03, (status, seen)
    assert abs(seen[200] / 2000 - 0.70) <= 0.03


def test_same_seed_same_fault_sequence() -> None:
    def run() -> list[int]:
        cfg = SimulatorConfig(latency_scale=0, seed=5, faults={"*": _spec(error_rates={500: 0.3})})
        with run_simulator(config=cfg) as s, httpx.Client(base_url=s.url) as client:
            return [client.post("/v1/chat/completions", json={"model": "gpt-4o", "messages": MSG}).status_code
                    for _ in range(60)]

    first = run()
    assert first == run() and 500 in first and 200 in first


def _spec(**kw: object):  # noqa: ANN202 - small helper
    from genlens.simulate.config import build_faults

    return build_faults(kw)


def test_wildcard_and_alias_matching(sim: Simulator, oai: openai.OpenAI) -> None:
    sim.set_faults("*", error_rates={503: 1.0})
    sim.set_faults("gpt-4o-mini-2024-07-18", error_rates={})  # dated name covers the alias too
    assert oai.chat.completions.create(model="gpt-4o-mini", messages=MSG).model == "gpt-4o-mini-2024-07-18"
    with pytest.raises(openai.InternalServerError) as caught:
        oai.chat.completions.create(model="gpt-4o", messages=MSG)
    assert caught.value.status_code == 503
    sim.clear_faults("*")
    assert oai.chat.completions.create(model="gpt-4o", messages=MSG).choices


def test_openai_error_shapes(sim: Simulator, oai: openai.OpenAI) -> None:
    for status in (500, 503, 529):
        sim.set_faults("gpt-4o", error_rates={status: 1.0})
        with pytest.raises(openai.InternalServerError) as caught:
            oai.chat.completions.create(model="gpt-4o", messages=MSG)
        assert caught.value.status_code == status
        assert caught.value.type == "server_error"
        assert caught.value.response.headers["x-request-id"].startswith("req_")


def test_content_filter_and_refusal(sim: Simulator, oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    sim.set_faults("gpt-4o", content_filter_rate=1.0)
    r = oai.chat.completions.create(model="gpt-4o", messages=MSG)
    assert r.choices[0].finish_reason == "content_filter"
    sim.set_faults("gpt-4o", refusal_rate=1.0)
    r = oai.chat.completions.create(model="gpt-4o", messages=MSG)
    assert r.choices[0].message.refusal and r.choices[0].message.content is None
    assert r.choices[0].finish_reason == "stop"
    streamed = list(oai.chat.completions.create(model="gpt-4o", messages=MSG, stream=True))
    assert "".join(c.choices[0].delta.refusal or "" for c in streamed) == r.choices[0].message.refusal
    resp = oai.responses.create(model="gpt-4o", input="hello")
    assert resp.output[0].content[0].type == "refusal"
    sim.set_faults("claude-opus-4-5", refusal_rate=1.0)
    m = claude.messages.create(model="claude-opus-4-5", max_tokens=50, messages=MSG)
    assert m.stop_reason == "refusal"
    sim.set_faults("claude-opus-4-5", content_filter_rate=1.0)
    m = claude.messages.create(model="claude-opus-4-5", max_tokens=500, messages=MSG)
    assert m.stop_reason == "refusal" and m.content[0].text
    assert sim.stats()["counters"]["faults.refusal"] >= 4


def test_invalid_json_only_when_json_was_asked(sim: Simulator, oai: openai.OpenAI) -> None:
    sim.set_faults("gpt-4o", invalid_json_rate=1.0)
    r = oai.chat.completions.create(model="gpt-4o", messages=MSG, response_format={"type": "json_object"})
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.choices[0].message.content or "")
    plain = oai.chat.completions.create(model="gpt-4o", messages=MSG)
    assert plain.choices[0].message.content and plain.choices[0].finish_reason == "stop"


def test_stalled_stream_drops_mid_way(sim: Simulator, oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    whole = oai.chat.completions.create(model="gpt-4o", messages=MSG).choices[0].message.content or ""
    sim.set_faults("gpt-4o", stall_rate=1.0, stall_s=0.2)
    received: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in oai.chat.completions.create(model="gpt-4o", messages=MSG, stream=True):
            received.append(chunk.choices[0].delta.content or "")
    assert 0 < len("".join(received)) < len(whole)
    assert whole.startswith("".join(received))
    sim.set_faults("claude-opus-4-5", stall_rate=1.0, stall_s=0.2)
    with pytest.raises(Exception) as dropped, claude.messages.stream(  # noqa: B017
            model="claude-opus-4-5", max_tokens=100, messages=MSG) as stream:
        stream.get_final_message()
    # the anthropic SDK lets the transport's error through from a stream
    assert isinstance(dropped.value, anthropic.APIConnectionError) or "peer closed" in str(dropped.value)
    assert sim.stats()["counters"]["faults.stall"] >= 2


def test_outage_window_then_recovery(sim: Simulator, oai: openai.OpenAI) -> None:
    sim.set_faults("gpt-4o", outages=[{"start_s": 0, "end_s": 1.5, "status": 503}])
    with pytest.raises(openai.InternalServerError) as caught:
        oai.chat.completions.create(model="gpt-4o", messages=MSG)
    assert caught.value.status_code == 503 and int(caught.value.response.headers["retry-after"]) >= 0
    time.sleep(1.6)  # wait the window out (bounded); no timing is asserted
    assert oai.chat.completions.create(model="gpt-4o", messages=MSG).choices
    sim.set_faults("gpt-4o", outages=[{"start_s": 3600, "end_s": 7200}])  # a future window does nothing yet
    assert oai.chat.completions.create(model="gpt-4o", messages=MSG).choices


def test_latency_multiplier_shows_in_measured_ttft() -> None:
    fast = ModelProfile("fast-2025-01-01", queue_s=0.02, prefill_s_per_token=0.0, decode_s_per_token=0.001,
                        output_tokens=(6, 6))
    cfg = SimulatorConfig(models={"fast": fast}, jitter=0.0)
    with run_simulator(config=cfg) as s, openai.OpenAI(base_url=s.url + "/v1", api_key="k",
                                                       max_retries=0) as client:
        def ttft() -> tuple[float, float]:
            start = time.perf_counter()
            raw = client.chat.completions.with_raw_response.create(model="fast", messages=MSG, stream=True)
            stream = raw.parse()
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    first = time.perf_counter() - start
                    break
            stream.close()
            return first, float(raw.headers["x-simulator-ttft-ms"])

        base = sorted(ttft() for _ in range(3))[1]
        s.set_faults("fast", latency_multiplier=20)
        slow = sorted(ttft() for _ in range(3))[1]
    assert base[1] == pytest.approx(20.0) and slow[1] == pytest.approx(400.0)
    assert slow[0] >= 0.4 and slow[0] > base[0]


def test_planned_latency_matches_profile_formula() -> None:
    profile = ModelProfile("calc-1", queue_s=0.5, prefill_s_per_token=0.01, cached_prefill_factor=0.1,
                           decode_s_per_token=0.2, output_tokens=(3, 3))
    cfg = SimulatorConfig(models={"calc": profile}, jitter=0.0, latency_scale=0.001)
    content = "x" * 400  # "<user>" + 400 + "\n" = 407 chars = 102 tokens
    with run_simulator(config=cfg) as s, httpx.Client(base_url=s.url) as client:
        s.set_faults("calc", latency_multiplier=2.0)
        r = client.post("/v1/chat/completions", json={"model": "calc", "messages": [
            {"role": "user", "content": content}]})
    assert r.status_code == 200 and r.json()["usage"]["prompt_tokens"] == 102
    assert float(r.headers["x-simulator-ttft-ms"]) == pytest.approx((0.5 + 0.01 * 102) * 0.001 * 2 * 1000, abs=1e-3)
    assert float(r.headers["x-simulator-tpot-ms"]) == pytest.approx(0.2 * 0.001 * 2 * 1000, abs=1e-3)


def test_admin_api_round_trip(sim: Simulator, oai: openai.OpenAI) -> None:
    with httpx.Client(base_url=sim.url) as admin:
        r = admin.put("/admin/faults/gpt-4o", json={"error_rates": {"429": 1.0}, "retry_after_s": 3})
        assert r.status_code == 200 and r.json()["faults"]["error_rates"] == {"429": 1.0}
        assert admin.get("/admin/faults").json()["gpt-4o-2024-08-06"]["retry_after_s"] == 3
        with pytest.raises(openai.RateLimitError) as caught:
            oai.chat.completions.create(model="gpt-4o", messages=MSG)
        assert caught.value.response.headers["retry-after"] == "3"
        bad = admin.put("/admin/faults/gpt-4o", json={"eror_rates": {"429": 1}})
        assert bad.status_code == 400 and "eror_rates" in bad.json()["error"]
        for spec in ({"error_rates": {"418": 0.5}}, {"error_rates": {"429": 1.5}},
                     {"error_rates": {"429": 0.7, "500": 0.7}}, {"stall_rate": "lots"}, {"outages": [{"x": 1}]}):
            assert admin.put("/admin/faults/gpt-4o", json=spec).status_code == 400, spec
        assert admin.put("/admin/faults/gpt-4o", content=b"{not json").status_code == 400
        assert admin.delete("/admin/faults/gpt-4o").json() == {}
        assert oai.chat.completions.create(model="gpt-4o", messages=MSG).choices
        stats = admin.get("/admin/stats").json()
        assert stats["requests"]["gpt-4o"]["429"] >= 1 and stats["total"] >= 2
        assert admin.delete("/admin/stats").json()["total"] == 0
        assert admin.get("/admin/config").json()["models"]["gpt-4o"]["response_model"] == "gpt-4o-2024-08-06"
        assert admin.put("/admin/latency_scale", json={"latency_scale": -1}).status_code == 400
        assert admin.put("/admin/latency_scale", json={"latency_scale": 0}).json() == {"latency_scale": 0.0}
        assert admin.get("/admin/nothing").status_code == 404
        assert admin.get("/admin/health").json() == {"ok": True}


def test_stream_stops_when_client_leaves() -> None:
    slow = ModelProfile("slow-1", queue_s=0.0, prefill_s_per_token=0.0, decode_s_per_token=0.05,
                        output_tokens=(400, 400))  # 20 s if it were streamed to the end
    with run_simulator(config=SimulatorConfig(models={"slow": slow}, jitter=0.0)) as s, \
            openai.OpenAI(base_url=s.url + "/v1", api_key="k", max_retries=0) as client:
        stream = client.chat.completions.create(model="slow", messages=MSG, stream=True)
        next(iter(stream))
        stream.close()
        for _ in range(100):  # bounded wait for the server to notice
            if s.stats()["counters"].get("client_disconnects"):
                break
            time.sleep(0.05)
        assert s.stats()["counters"]["client_disconnects"] == 1


def test_in_flight_limit_answers_503_and_counts() -> None:
    slow = ModelProfile("slow-1", queue_s=0.0, decode_s_per_token=0.05, output_tokens=(400, 400))
    cfg = SimulatorConfig(models={"slow": slow}, jitter=0.0, max_in_flight=1)
    with run_simulator(config=cfg) as s, openai.OpenAI(base_url=s.url + "/v1", api_key="k",
                                                       max_retries=0) as client:
        stream = client.chat.completions.create(model="slow", messages=MSG, stream=True)
        next(iter(stream))  # one request is in flight now
        with pytest.raises(openai.InternalServerError) as caught:
            client.chat.completions.create(model="slow", messages=MSG)
        stream.close()
        assert caught.value.status_code == 503
        assert s.stats()["counters"]["rejected_in_flight"] == 1


def test_stream_is_paced_ttft_then_tpot() -> None:
    paced = ModelProfile("paced-1", queue_s=0.05, prefill_s_per_token=0.0, decode_s_per_token=0.02,
                         output_tokens=(8, 8))
    with run_simulator(config=SimulatorConfig(models={"paced": paced}, jitter=0.0)) as s, \
            httpx.Client(base_url=s.url) as client:
        start = time.perf_counter()
        arrivals = []
        with client.stream("POST", "/v1/chat/completions", json={"model": "paced", "messages": MSG,
                                                                  "stream": True}) as r:
            for line in r.iter_lines():
                if line.startswith("data: {") and '"content":"' in line and '"content":""' not in line:
                    arrivals.append(time.perf_counter() - start)
    assert len(arrivals) == 8
    # lower bounds only (sleeps guarantee them): first token after TTFT, the last after 7 more TPOTs
    assert arrivals[0] >= 0.05 and arrivals[-1] >= 0.05 + 7 * 0.02


def test_cached_prefix_shortens_planned_ttft() -> None:
    profile = ModelProfile("cachey-1", queue_s=0.1, prefill_s_per_token=0.001, cached_prefill_factor=0.1,
                           decode_s_per_token=0.01, output_tokens=(2, 2))
    cfg = SimulatorConfig(models={"cachey": profile}, jitter=0.0, latency_scale=0.001)
    long_doc = "Reference material line. " * 400  # 10,000 chars
    with run_simulator(config=cfg) as s, httpx.Client(base_url=s.url) as client:
        answers = [client.post("/v1/chat/completions", json={"model": "cachey", "messages": [
            {"role": "system", "content": long_doc}, {"role": "user", "content": question}]})
            for question in ("first?", "second?")]
    for r in answers:
        usage = r.json()["usage"]
        prompt, cached = usage["prompt_tokens"], usage["prompt_tokens_details"]["cached_tokens"]
        want_s = (0.1 + 0.001 * (prompt - cached) + 0.001 * 0.1 * cached) * 0.001
        assert float(r.headers["x-simulator-ttft-ms"]) == pytest.approx(want_s * 1000, abs=1e-3)
    assert answers[0].json()["usage"]["prompt_tokens_details"]["cached_tokens"] == 0
    assert answers[1].json()["usage"]["prompt_tokens_details"]["cached_tokens"] >= 1024
    assert float(answers[1].headers["x-simulator-ttft-ms"]) < float(answers[0].headers["x-simulator-ttft-ms"])
