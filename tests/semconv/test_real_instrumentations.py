"""The real instrumentations' real output, normalized: the official openai-v2 (default and
latest-experimental), OpenInference and OpenLLMetry wrapping the real ``openai`` SDK, and OpenInference
and OpenLLMetry wrapping the real ``anthropic`` SDK, all talking to the genlens simulator over loopback.
The OpenAI ones must give the same canonical call; the Anthropic ones the canonical cache semantics.
An instrumentation that is not installed is skipped (they are in the ``test`` extra)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from genlens.semconv.model import RawEvent, RawLog, RawSpan
from genlens.semconv.normalize import content_from_logs, normalize_span
from genlens.simulate import SimulatorConfig, run_simulator

from ._capture import ANTHROPIC_MODES, MODES
from .helpers import check_row

ROOT = Path(__file__).resolve().parents[2]
NEEDS = {"openai-v2-default": "opentelemetry.instrumentation.openai_v2",
         "openai-v2-experimental": "opentelemetry.instrumentation.openai_v2",
         "openinference": "openinference.instrumentation.openai",
         "openllmetry": "opentelemetry.instrumentation.openai",
         "anthropic-openinference": "openinference.instrumentation.anthropic",
         "anthropic-openllmetry": "opentelemetry.instrumentation.anthropic"}


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


@pytest.fixture(scope="module")
def captured() -> dict[str, dict[str, Any]]:
    """Every mode, each in its own process (instrumentors patch ``openai`` globally), run side by side."""
    modes = [m for m in (*MODES, *ANTHROPIC_MODES) if _installed(NEEDS[m])]
    out: dict[str, dict[str, Any]] = {}
    with run_simulator(host="127.0.0.1", port=0, config=SimulatorConfig(latency_scale=0)) as sim:
        procs = {m: subprocess.Popen([sys.executable, "-m", "tests.semconv._capture", m, sim.url], cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for m in modes}
        for mode, proc in procs.items():
            try:
                stdout, stderr = proc.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                stdout, stderr = proc.communicate()
            assert proc.returncode == 0, f"{mode}: {stderr[-3000:]}"
            out[mode] = json.loads(stdout)
    return out


def _normalize(capture: dict[str, Any], index: int = 0) -> tuple[dict[str, Any], dict[str, Any]]:
    s = sorted(capture["spans"], key=lambda x: x["start"])[index]
    raw = RawSpan(s["trace_id"], s["span_id"], None, s["name"], s["kind"], s["start"], s["end"], s["status"], "",
                  s["attributes"], [RawEvent(e["name"], e["time"], e["attributes"]) for e in s["events"]],
                  s["resource"], s["scope"])
    row, records = normalize_span(raw)
    check_row(row)
    logs = [RawLog(g["time"], g["trace_id"], g["span_id"], g["event_name"], g["body"], g["attributes"], {})
            for g in capture["logs"]]
    content = {r.kind: r.data for r in records}
    for r in content_from_logs(logs):
        assert (r.trace_id, r.span_id) == (row["trace_id"], row["span_id"])
        assert r.kind not in content
        content[r.kind] = r.data
    return row, content


CANONICAL = {"kind": "llm", "operation": "chat", "provider": "openai", "request_model": "gpt-4o-mini",
             "response_model": "gpt-4o-mini-2024-07-18", "finish_reasons": ["tool_call"], "temperature": 0.2,
             "max_tokens": 64, "error_class": "none"}
EXPECTED_INPUT = [{"role": "system", "parts": [{"type": "text", "content": "You are a weather bot."}]},
                  {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}]
CONVENTION = {"openai-v2-default": "otel", "openai-v2-experimental": "otel", "openinference": "openinference",
              "openllmetry": "openllmetry"}


@pytest.mark.parametrize("mode", MODES)
def test_real_output_normalizes_to_the_same_call(captured, mode):
    if mode not in captured:
        pytest.fail(f"{NEEDS[mode]} is not installed (a test dependency: run scripts/setup.sh test)")
    assert len(captured[mode]["spans"]) == 1
    row, content = _normalize(captured[mode])
    assert {k: row[k] for k in CANONICAL} == CANONICAL
    assert row["status"] in ("unset", "ok")  # OpenInference sets ok; the others leave it unset
    assert row["convention"] == CONVENTION[mode]
    assert content["input_messages"] == EXPECTED_INPUT
    (out,) = content["output_messages"]
    (part,) = out["parts"]
    assert out["role"] == "assistant" and part["type"] == "tool_call" and part["name"] == "get_weather"
    assert isinstance(part["arguments"], dict) and part["id"].startswith("call_")
    # token counts: the same in every mode, and what the provider reported in its own response
    assert row["total_tokens"] == row["input_tokens"] + row["output_tokens"]
    assert row["input_tokens"] > 0 and row["output_tokens"] > 0


def test_modes_agree_on_tokens(captured):
    rows = {m: _normalize(c)[0] for m, c in captured.items() if m in MODES}
    if len(rows) < 2:
        pytest.fail("fewer than two instrumentations installed (a test dependency: run scripts/setup.sh test)")
    assert len({(r["input_tokens"], r["output_tokens"], r["total_tokens"]) for r in rows.values()}) == 1


def test_openinference_tokens_match_the_raw_response(captured):
    if "openinference" not in captured:
        pytest.fail("openinference-instrumentation-openai is not installed (a test dependency: run scripts/setup.sh test)")
    row, content = _normalize(captured["openinference"])
    usage = content["output_value"]["usage"]  # the provider's own response body, recorded as output.value
    assert (row["input_tokens"], row["output_tokens"], row["total_tokens"]) == (
        usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"])
    assert content["tool_definitions"][0]["function"]["name"] == "get_weather"
    assert row["request_params"] == {"tool_choice": "required"}


def test_default_mode_content_comes_from_logs(captured):
    if "openai-v2-default" not in captured:
        pytest.fail("opentelemetry-instrumentation-openai-v2 is not installed (a test dependency: run scripts/setup.sh test)")
    cap = captured["openai-v2-default"]
    assert cap["logs"] and not any(k.startswith("gen_ai.input") for k in cap["spans"][0]["attributes"])


@pytest.mark.parametrize("mode", ANTHROPIC_MODES)
def test_real_anthropic_cache_tokens(captured, mode):
    """Anthropic reports cache tokens beside input; the canonical input holds the whole prompt both
    when the first call writes the cache and when the second reads it."""
    if mode not in captured:
        pytest.fail(f"{NEEDS[mode]} is not installed (a test dependency: run scripts/setup.sh test)")
    assert len(captured[mode]["spans"]) == 2
    (write, c1), (read, c2) = _normalize(captured[mode], 0), _normalize(captured[mode], 1)
    for row in (write, read):
        assert (row["kind"], row["provider"], row["request_model"]) == ("llm", "anthropic", "claude-sonnet-4-20250514")
        assert row["finish_reasons"] == ["length"]  # Anthropic's max_tokens
        assert row["total_tokens"] == row["input_tokens"] + row["output_tokens"]
    assert write["cache_write_tokens"] > 1024 and not write["cache_read_tokens"]
    assert read["cache_read_tokens"] == write["cache_write_tokens"] and not read["cache_write_tokens"]
    assert write["input_tokens"] == read["input_tokens"] > read["cache_read_tokens"]
    for content in (c1, c2):
        texts = [p["content"] for m in content["input_messages"] for p in m["parts"]]
        system = content.get("system_instructions") or [p for m in content["input_messages"]
                                                          if m["role"] == "system" for p in m["parts"]]
        assert texts[-1] == "Weather in Paris?" and system[0]["content"].startswith(f"[{mode}] You are a weather bot.")
    if mode == "anthropic-openinference":  # independent check: the provider's own usage in its response body
        for row, content in ((write, c1), (read, c2)):
            usage = content["output_value"]["usage"]
            assert row["input_tokens"] == (usage["input_tokens"] + usage["cache_read_input_tokens"]
                                           + usage["cache_creation_input_tokens"])
            assert row["output_tokens"] == usage["output_tokens"]
