"""SLO burn-rate alerts through a real Alertmanager and a webhook: one incident, one alert, then resolved."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from genlens.alerts.notify import AlertmanagerNotifier, Delivery, WebhookNotifier
from genlens.alerts.slo_job import SloAlertJob
from genlens.slo.spec import parse_documents
from genlens.store.base import WriteBatch
from genlens.store.duckdb import DuckDBStore
from tests.alerts.receivers import Alertmanager, Webhook, start_alertmanager
from tests.slo.test_engine import MIN, NOW, _call

SLOS = parse_documents([yaml.safe_load("""
service: bot
slos:
  - {name: api, sli: {type: availability}, objective: 0.995}
""")], "test")
HOUR = 60 * MIN


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Alertmanager]:
    manager = start_alertmanager(Path(tmp_path_factory.mktemp("am")))
    yield manager
    manager.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBStore]:
    rows = [_call(i, minute + 41, error=False, ttft=0.3) for i, minute in enumerate(range(0, 3 * 24 * 60, 10))]
    base = len(rows)
    for minute in range(40):  # the incident: the last 40 minutes, 3 of every 10 calls fail
        rows += [_call(base + minute * 10 + k, minute + 0.5, error=k < 3, ttft=0.3) for k in range(10)]
    s = DuckDBStore(tmp_path / "s.duckdb")
    s.write(WriteBatch(spans=rows))
    yield s
    s.close()


def _wait(predicate: object, timeout_s: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def test_one_incident_fires_once_repeats_to_alertmanager_and_resolves(store: DuckDBStore,
                                                                      alertmanager: Alertmanager) -> None:
    hook = Webhook().start()
    delivery = Delivery([WebhookNotifier(hook.url), AlertmanagerNotifier(alertmanager.url)], backoff_s=0.1)
    job = SloAlertJob(store, SLOS, delivery, interval_s=30, ui_url="http://genlens.example:4318")
    try:
        assert job.run_once(NOW - HOUR) == []  # before the incident: calm, nothing fires
        firing = job.run_once(NOW)
        assert sorted(a.severity for a in firing) == ["page", "ticket"]
        for _ in range(3):
            job.run_once(NOW + MIN)  # still burning: the same two alerts
        assert delivery.flush()
        assert [b["body"]["status"] for b in hook.bodies] == ["firing", "firing"]  # once each, not four times
        page = next(b["body"]["alerts"][0] for b in hook.bodies if b["body"]["alerts"][0]["severity"] == "page")
        assert page["labels"]["sloth_id"] == "bot-api"
        assert page["annotations"]["runbook"] == "docs/runbooks/provider-outage.md"
        assert page["annotations"]["link"] == "http://genlens.example:4318/traces?status=error"
        assert page["example_trace_ids"] and all(len(t) == 32 for t in page["example_trace_ids"])
        assert _wait(lambda: len([a for a in alertmanager.alerts() if a["labels"].get("sloth_id") == "bot-api"]) == 2)
        received = {a["labels"]["severity"] for a in alertmanager.alerts() if a["labels"].get("sloth_id") == "bot-api"}
        assert received == {"page", "ticket"}

        still = job.run_once(NOW + 2 * HOUR)  # the 5m and 30m windows are clear: the page resolves
        assert [a.severity for a in still] == ["ticket"]
        job.run_once(NOW + 7 * HOUR)  # the 6h window is clear too: the ticket resolves
        assert job.active == {}
        assert delivery.flush()
        assert [b["body"]["status"] for b in hook.bodies] == ["firing", "firing", "resolved", "resolved"]
        assert _wait(lambda: not [a for a in alertmanager.alerts() if a["labels"].get("sloth_id") == "bot-api"])
        assert [a.severity for a in job.history] == ["page", "ticket"]
    finally:
        delivery.close()
        hook.stop()
