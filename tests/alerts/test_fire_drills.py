"""Fire drills through the simulator: planted incidents raise exactly their alerts, once, and resolve; a calm
run of the same length raises none.

Two live ``genlens serve`` processes run side by side, each fed by its own drill application (the real
OpenAI and Anthropic SDKs against a simulator, instrumented by genlens): one plants a provider 5xx burst, a
TTFT spike, a refusal spike and a spend spike at once, each on its own slice; the other stays calm.  The
built-in detectors run with their windows scaled from minutes to seconds.  Every alert must reach a webhook
and a real Alertmanager (which notifies a second webhook), once firing and once resolved.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.alerts.drill_app import EXPECTED
from tests.alerts.receivers import Webhook, start_alertmanager
from tests.conftest import start_server, stop_process

pytestmark = pytest.mark.slow

S = 10**9
# Minutes become seconds. A 10x slower model answers in ~5 s, so its spans arrive that late: the latency rules
# get wider windows, and every evaluation looks 10 s back (alerts.delay), as production's 30 s does.
SCALED = {name: {"window": "10s", "for": "3s", "trailing": "30s", "min_calls": 5, "keep_firing_for": "8s"}
          for name in ("LLMErrorBurst", "LLMRefusalSpike")}
SCALED |= {name: {"window": "15s", "for": "3s", "trailing": "30s", "min_calls": 5, "keep_firing_for": "8s"}
           for name in ("LLMTTFTSpike", "LLMLatencySpike")}
# The planted slowdown adds ~4.5 s to a gpt-4o-mini call; two busy cores shared by two servers, Alertmanager
# and two drill apps can add a second to any model's p95 (a client-measured latency), which is not an incident.
SCALED["LLMLatencySpike"]["min_delta"] = 2.5
# calm spend is ~$1/h: a momentary bunching of calls (a stalled core) must not read as a doubling of it
SCALED["LLMSpendSpike"] = {"window": "10s", "trailing": "30s", "min_calls": 5, "keep_firing_for": "15s",
                           "min_delta": 5}
SCALED["LLMSpendHigh"] = {"window": "10s", "for": "3s", "keep_firing_for": "8s"}
ROOT = Path(__file__).resolve().parents[2]


def _env(hook: Webhook, alertmanager_url: str | None) -> dict[str, str]:
    env = {"GENLENS_ALERTS_INTERVAL_S": "1", "GENLENS_ALERTS_STEP": "1s", "GENLENS_ALERTS_DELAY": "10s",
           "GENLENS_ALERTS_DETECTORS": json.dumps(SCALED), "GENLENS_ALERTS_WEBHOOKS": hook.url,
           "GENLENS_INGEST_WORKERS": "0", "GENLENS_COST_DETECT_INTERVAL_S": "0"}
    if alertmanager_url:
        env["GENLENS_ALERTS_ALERTMANAGER"] = alertmanager_url
    return env


def _key(alert: dict[str, Any]) -> tuple[str, tuple[tuple[str, str], ...]]:
    labels = alert["labels"]
    slice_keys = [k for k in ("provider", "model", "feature") if k in labels]
    return labels["alertname"], tuple((k, labels[k]) for k in slice_keys)


def _events(hook: Webhook) -> Counter[tuple[str, str, tuple[tuple[str, str], ...]]]:
    """(status, alert name, slice) → how often the hook heard it."""
    out: Counter[tuple[str, str, tuple[tuple[str, str], ...]]] = Counter()
    for posted in hook.bodies:
        for alert in posted["body"]["alerts"]:
            out[(alert["status"], *_key(alert))] += 1
    return out


def test_planted_incidents_alert_once_and_resolve_and_a_calm_run_raises_none(tmp_path: Path) -> None:
    hook, calm_hook, am_hook = Webhook().start(), Webhook().start(), Webhook().start()
    manager = start_alertmanager(tmp_path / "am", am_hook.url)
    drilled = start_server(tmp_path / "drill", extra_env=_env(hook, manager.url))
    calm = start_server(tmp_path / "calm", extra_env=_env(calm_hook, None))
    apps = []
    try:
        for server, plan in ((drilled, "incident"), (calm, "calm")):
            out = tmp_path / f"{plan}.json"
            log = open(tmp_path / f"{plan}-app.log", "wb")  # noqa: SIM115 - closed with the process below
            apps.append((subprocess.Popen([sys.executable, "-m", "tests.alerts.drill_app", "--server", server.url,
                                           "--plan", plan, "--out", str(out)], cwd=ROOT, stdout=log,
                                          stderr=subprocess.STDOUT), log, out))
        for process, log, _ in apps:
            assert process.wait(timeout=240) == 0, (tmp_path / f"{log.name}").read_text()[-3000:]
            log.close()
        deadline = time.monotonic() + 45  # the last resolutions: delay + window + keep after the incident ended
        expected_events = Counter({(status, name, labels): 1 for name, labels in EXPECTED
                                   for status in ("firing", "resolved")})
        while time.monotonic() < deadline and (_events(hook) != expected_events
                                               or _events(am_hook) != expected_events):
            time.sleep(0.5)
        time.sleep(3)  # several more evaluations: nothing new
        timeline = json.loads(apps[0][2].read_text())

        assert _events(hook) == expected_events, (_story(hook), timeline)
        assert _events(am_hook) == expected_events, (_story(am_hook), timeline)
        for posted in hook.bodies:
            (alert,) = posted["body"]["alerts"]
            fired = _ns(alert["starts_at"])
            assert timeline["incident_start_ns"] < fired < timeline["incident_end_ns"], alert
            assert alert["example_trace_ids"] and alert["annotations"]["runbook"].startswith("docs/runbooks/")
            assert alert["annotations"]["link"].startswith(f"{drilled.url}/traces?")
            if alert["status"] == "resolved":
                assert _ns(alert["ends_at"]) > timeline["incident_end_ns"], alert
        example = hook.bodies[0]["body"]["alerts"][0]["example_trace_ids"][0]
        assert httpx.get(f"{drilled.url}/api/v1/traces/{example}", timeout=10).status_code == 200
        state = httpx.get(f"{drilled.url}/api/v1/alerts", timeout=10).json()
        assert state["firing"] == [] and {_key(a) for a in state["resolved"]} == EXPECTED

        # what the server raised live is what `detect` replays over the same range
        replay = httpx.get(f"{drilled.url}/api/v1/detect/all", timeout=30, params={
            "start": timeline["run_start_ns"], "end": timeline["run_end_ns"], "step": "1s"}).json()["episodes"]
        assert {(e["alert"], tuple(e["slice"].items())) for e in replay} == EXPECTED

        # the history is stored through the writer: it outlives a restart
        drilled.stop()
        drilled = start_server(tmp_path / "drill", extra_env={"GENLENS_ALERTS_INTERVAL_S": "0"})
        history = httpx.get(f"{drilled.url}/api/v1/alerts/history", params={"since": "1h"}, timeout=10).json()
        assert Counter((e["status"], *_key(e)) for e in history["events"]) == expected_events
        assert "LLMErrorBurst" in httpx.get(f"{drilled.url}/alerts", timeout=10).text

        assert calm_hook.bodies == []
        quiet = httpx.get(f"{calm.url}/api/v1/alerts", timeout=10).json()
        assert quiet["firing"] == [] and quiet["resolved"] == [] and quiet["evaluating"]
        calm_line = json.loads(apps[1][2].read_text())
        assert calm_line["run_end_ns"] - calm_line["run_start_ns"] >= 0.9 * (
            timeline["run_end_ns"] - timeline["run_start_ns"])
    finally:
        for process, log, _ in apps:
            stop_process(process)  # type: ignore[arg-type]
            log.close()
        drilled.stop()
        calm.stop()
        manager.stop()
        for h in (hook, calm_hook, am_hook):
            h.stop()


def _story(hook: Webhook) -> list[tuple[str, str, str, str | None, str]]:
    """What a hook heard, in order: (status, alert, starts, ends, summary) — for a failing drill's message."""
    return [(a["status"], a["labels"]["alertname"], a.get("starts_at") or a.get("startsAt"),
             a.get("ends_at") or a.get("endsAt"), a.get("summary") or a.get("annotations", {}).get("summary", ""))
            for posted in hook.bodies for a in posted["body"]["alerts"]]


def _ns(iso: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * S)
