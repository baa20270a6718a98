"""A fire-drill application: the real OpenAI and Anthropic SDKs against the simulator, instrumented by genlens.

Run as ``python -m tests.alerts.drill_app --server URL --plan incident|calm --out FILE``.  Four features
call four models steadily; with ``--plan incident`` four incidents are planted at once after a calm
start, each on its own slice, and ended after ``--incident-s``:

* a provider 5xx burst: every ``claude-haiku-4-5`` call (feature ``support``) answers 503;
* a TTFT spike: ``gpt-4o-mini`` (feature ``chat``, streamed) answers 10x slower;
* a refusal spike: ``gpt-4.1-mini`` (feature ``summarize``) ends 70 % of its answers with ``content_filter``;
* a spend spike: feature ``batch`` (``gpt-4o``) sends prompts 40x longer.

The timeline (epoch ns of the incident's start and end, and of the run's end) is written to ``--out``.
Every loop is bounded by the run's deadline.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import anthropic
import openai

import genlens
from genlens.simulate import SimulatorConfig, run_simulator

FAULTS = {
    "claude-haiku-4-5": {"error_rates": {503: 1.0}, "retry_after_s": 0.1},
    "gpt-4o-mini": {"latency_multiplier": 10.0},
    "gpt-4.1-mini": {"content_filter_rate": 0.7},
}
EXPECTED = {  # alert name → slice labels, when the incident plan runs
    ("LLMErrorBurst", (("provider", "anthropic"), ("model", "claude-haiku-4-5"))),
    ("LLMTTFTSpike", (("model", "gpt-4o-mini"),)),
    ("LLMLatencySpike", (("model", "gpt-4o-mini"),)),  # the same spike slows whole calls too
    ("LLMRefusalSpike", (("feature", "summarize"),)),
    ("LLMSpendSpike", (("feature", "batch"),)),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--plan", choices=("incident", "calm"), required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--calm-s", type=float, default=45.0)
    parser.add_argument("--incident-s", type=float, default=30.0)
    parser.add_argument("--after-s", type=float, default=30.0)
    args = parser.parse_args()
    with run_simulator(config=SimulatorConfig(latency_scale=1.0, jitter=0.1, seed=7)) as sim:
        genlens.init(service_name="drill-bot", endpoint=args.server, environ={}, schedule_delay_s=0.2,
                     metric_interval_s=5.0)
        oai = openai.OpenAI(base_url=sim.url + "/v1", api_key="sk-test", max_retries=0, timeout=30)
        claude = anthropic.Anthropic(base_url=sim.url, api_key="sk-ant-test", max_retries=0, timeout=30)
        incident = threading.Event()
        stop = threading.Event()

        def chat() -> None:
            stream = oai.chat.completions.create(model="gpt-4o-mini", max_tokens=30, stream=True,
                                                 messages=[{"role": "user", "content": "Where is my order?"}])
            for _ in stream:
                pass

        def support() -> None:
            claude.messages.create(model="claude-haiku-4-5", max_tokens=30,
                                   messages=[{"role": "user", "content": "Reset my password please."}])

        def summarize() -> None:
            oai.chat.completions.create(model="gpt-4.1-mini", max_tokens=30,
                                        messages=[{"role": "user", "content": "Summarize: the parcel is late."}])

        def batch() -> None:
            words = 1200 if incident.is_set() else 30
            oai.chat.completions.create(model="gpt-4o", max_tokens=30,
                                        messages=[{"role": "user", "content": "classify " + "invoice " * words}])

        def worker(feature: str, call: Callable[[], None]) -> None:
            while not stop.is_set():
                with genlens.context(feature=feature, tenant="acme"):
                    try:
                        call()
                    except (openai.APIError, anthropic.APIError):
                        pass  # the span records the failure
                stop.wait(0.25)

        # four chat workers: while its model is 10x slower, a sequential client would send too few calls to judge
        threads = [threading.Thread(target=worker, args=pair, daemon=True)
                   for pair in (*[("chat", chat)] * 4, ("support", support), ("summarize", summarize),
                                ("batch", batch))]
        for thread in threads:
            thread.start()
        timeline: dict[str, int] = {"run_start_ns": time.time_ns()}
        time.sleep(args.calm_s)
        timeline["incident_start_ns"] = time.time_ns()
        if args.plan == "incident":
            for model, faults in FAULTS.items():
                sim.set_faults(model, **faults)
            incident.set()
        time.sleep(args.incident_s)
        sim.clear_faults()
        incident.clear()
        timeline["incident_end_ns"] = time.time_ns()
        time.sleep(args.after_s)
        stop.set()
        for thread in threads:
            thread.join(30)
        genlens.force_flush(10)
        genlens.shutdown(timeout_s=10)
        timeline["run_end_ns"] = time.time_ns()
    Path(args.out).write_text(json.dumps(timeline))


if __name__ == "__main__":
    main()
