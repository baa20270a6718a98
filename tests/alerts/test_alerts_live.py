"""A live genlens with an SLO file and a webhook: a burst of failures pages once, visible on REST and /metrics."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.alerts.receivers import Webhook
from tests.conftest import start_server
from tests.metrics.helpers import samples, value
from tests.metrics.workload import requests


def test_error_burst_pages_the_webhook_once(tmp_path: Path) -> None:
    slo_file = tmp_path / "slos.yaml"
    slo_file.write_text("service: bot\nslos:\n  - {name: api, sli: {type: availability}, objective: 0.999}\n")
    hook = Webhook().start()
    server = start_server(tmp_path / "data", extra_env={
        "GENLENS_SLOS_FILE": str(slo_file), "GENLENS_ALERTS_INTERVAL_S": "0.5",
        "GENLENS_ALERTS_WEBHOOKS": hook.url})
    try:
        bodies, exp = requests(200, seed=3, start_ns=time.time_ns() - 100 * 10**9, step_ns=400_000_000)
        with httpx.Client(timeout=30) as client:
            for body in bodies:  # ~8 % errors against a 0.1 % budget: 80x
                assert client.post(f"{server.url}/v1/traces", content=body,
                                   headers={"content-type": "application/x-protobuf"}).status_code == 200
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(hook.bodies) < 2:
            time.sleep(0.2)
        time.sleep(2)  # several more evaluations: still the same two alerts
        statuses = sorted((b["body"]["status"], b["body"]["alerts"][0]["severity"]) for b in hook.bodies)
        assert statuses == [("firing", "page"), ("firing", "ticket")]
        alerts = httpx.get(f"{server.url}/api/v1/alerts", timeout=10).json()
        assert sorted(a["severity"] for a in alerts["firing"]) == ["page", "ticket"] and alerts["evaluating"]
        found = samples(server.url)
        assert value(found, "genlens_alerts_firing", severity="page") == 1
        assert value(found, "genlens_alert_deliveries_total", notifier=f"webhook:{hook.url}",
                     outcome="delivered") == 2
        assert exp.calls > 0
    finally:
        server.stop()
        hook.stop()
