"""Silences: a matching alert is still evaluated and listed (marked silenced), but not sent; bad silences are
configuration errors."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from genlens.alerts.notify import Alert, Delivery, WebhookNotifier
from genlens.alerts.silences import load_silences
from genlens.errors import ConfigError
from tests.alerts.receivers import Webhook
from tests.conftest import start_server
from tests.metrics.workload import requests

NOW = 1_800_000_000 * 10**9


def _alert(name: str = "LLMErrorBurst", **labels: str) -> Alert:
    return Alert(name, "page", tuple(labels.items()), "s", starts_at_ns=NOW)


def test_a_silence_matches_every_label_within_its_time() -> None:
    (silence,) = load_silences([{"matchers": {"alertname": "LLMErrorBurst", "provider": "anthropic"},
                                 "starts": "2027-01-15T00:00:00Z", "until": "2027-01-16T00:00:00Z", "comment": "x"}])
    inside = silence.starts_ns + 1
    assert silence.matches(_alert(provider="anthropic", model="m"), inside)
    assert not silence.matches(_alert(provider="openai"), inside)
    assert not silence.matches(_alert("LLMTTFTSpike", provider="anthropic"), inside)
    assert not silence.matches(_alert(provider="anthropic"), silence.until_ns)
    assert not silence.matches(_alert(provider="anthropic"), silence.starts_ns - 1)


def test_delivery_holds_back_silenced_alerts_and_counts_them() -> None:
    hook = Webhook().start()
    delivery = Delivery([WebhookNotifier(hook.url)], backoff_s=0.05,
                        silences=load_silences([{"matchers": {"provider": "anthropic"}, "until": "2099-12-31"}]))
    try:
        delivery.publish(_alert(provider="anthropic"))
        delivery.publish(_alert(provider="openai"))
        assert delivery.flush(10)
        assert [b["body"]["alerts"][0]["labels"]["provider"] for b in hook.bodies] == ["openai"]
        assert delivery.stats.silenced == 1
    finally:
        delivery.close()
        hook.stop()


@pytest.mark.parametrize(("entry", "message"), [
    ({"until": "2099-12-31"}, "matchers"),
    ({"matchers": {}, "until": "2099-12-31"}, "matchers"),
    ({"matchers": {"a": "b"}}, "needs until"),
    ({"matchers": {"a": "b"}, "until": "someday"}, "ISO-8601"),
    ({"matchers": {"a": "b"}, "until": "2099-12-31", "forever": True}, "unknown key 'forever'"),
])
def test_bad_silences_are_config_errors(entry: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_silences([entry])


def test_live_server_lists_a_silenced_alert_without_sending_it(tmp_path: Path) -> None:
    hook = Webhook().start()
    server = start_server(tmp_path / "data", extra_env={
        "GENLENS_ALERTS_INTERVAL_S": "0.5", "GENLENS_ALERTS_STEP": "1s", "GENLENS_ALERTS_DELAY": "0s",
        "GENLENS_ALERTS_WEBHOOKS": hook.url, "GENLENS_COST_DETECT_INTERVAL_S": "0",
        "GENLENS_ALERTS_DETECTORS": json.dumps({"LLMErrorBurst": {"window": "2m", "for": "0s", "above": 0.0,
                                                                  "min_calls": 1}}),
        "GENLENS_ALERTS_SILENCES": json.dumps([{"matchers": {"alertname": "LLMErrorBurst"},
                                                "until": "2099-12-31T00:00:00Z", "comment": "maintenance"}])})
    try:
        bodies, exp = requests(60, seed=3, start_ns=time.time_ns() - 70 * 10**9, step_ns=1_000_000_000)
        assert sum(exp.api_errors.values()) > 0
        with httpx.Client(timeout=30) as client:
            for body in bodies:
                assert client.post(f"{server.url}/v1/traces", content=body,
                                   headers={"content-type": "application/x-protobuf"}).status_code == 200
        deadline = time.monotonic() + 30
        burst: list[dict[str, object]] = []
        while time.monotonic() < deadline and not burst:
            firing = httpx.get(f"{server.url}/api/v1/alerts", timeout=10).json()["firing"]
            burst = [a for a in firing if a["name"] == "LLMErrorBurst"]
            time.sleep(0.3)
        assert burst and all(a["silenced"] for a in burst)
        time.sleep(2)
        sent = [a["name"] for b in hook.bodies for a in b["body"]["alerts"]]
        assert "LLMErrorBurst" not in sent
        page = httpx.get(f"{server.url}/alerts", timeout=10).text
        assert "silenced" in page and "LLMErrorBurst" in page
    finally:
        server.stop()
        hook.stop()
