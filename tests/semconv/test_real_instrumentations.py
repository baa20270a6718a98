"""The real instrumentations' real output, normalized: the official openai-v2 (default and
latest-experimental), OpenInference and OpenLLMetry, each wrapping the real ``openai`` SDK that
talks to the genlens simulator over loopback.  All four must give the same canonical call."""

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

from ._capture import MODES
from .helpers import check_row

ROOT = Path(__file__).resolve().parents[2]
NEEDS = {"openai-v2-default": "opentelemetry.instrumentation.openai_v2",
         "openai-v2-experimental": "opentelemetry.instrumentation.openai_v2",
         "openinference": "openinference.instrumentation.openai",
         "openllmetry": "opentelemetry.instrumentation.openai"}


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


@pytest.fixture(scope="module")
def captured() -> dict[str, dict[str, Any]]:
    """Every mode, each in its own process (instrumentors patch ``openai`` globally), run side by side."""
    modes = [m for m in MODES if _installed(NEEDS[m])]
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


def _normalize(capture: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    assert len(capture["spans"]) == 1, [s["name"] for s in capture["spans"]]
    s = capture["spans"][0]
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
        pytest.skip(f"{NEEDS[mode]} is not installed")
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
    rows = {m: _normalize(c)[0] for m, c in captured.items()}
    if len(rows) < 2:
        pytest.skip("fewer than two instrumentations installed")
    assert len({(r["input_tokens"], r["output_tokens"], r["total_tokens"]) for r in rows.values()}) == 1


def test_openinference_tokens_match_the_raw_response(captured):
    if "openinference" not in captured:
        pytest.skip("openinference-instrumentation-openai is not installed")
    row, content = _normalize(captured["openinference"])
    usage = content["output_value"]["usage"]  # the provider's own response body, recorded as output.value
    assert (row["input_tokens"], row["output_tokens"], row["total_tokens"]) == (
        usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"])
    assert content["tool_definitions"][0]["function"]["name"] == "get_weather"
    assert row["request_params"] == {"tool_choice": "required"}


def test_default_mode_content_comes_from_logs(captured):
    if "openai-v2-default" not in captured:
        pytest.skip("opentelemetry-instrumentation-openai-v2 is not installed")
    cap = captured["openai-v2-default"]
    assert cap["logs"] and not any(k.startswith("gen_ai.input") for k in cap["spans"][0]["attributes"])
