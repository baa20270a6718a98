"""Delivery to real receivers: retried with backoff on 5xx, counted when it gives up, never blocking."""

from __future__ import annotations

import time

from genlens.alerts.notify import Alert, Delivery, WebhookNotifier
from tests.alerts.receivers import Webhook
from tests.conftest import free_port

ALERT = Alert("SloErrorBudgetBurn", "page", (("sloth_id", "bot-api"),), "budget burning",
              (("runbook", "docs/runbooks/provider-outage.md"),), 1_790_000_000 * 10**9,
              example_trace_ids=("ab" * 16,))


def test_webhook_gets_json_and_slack_gets_text_once_per_transition() -> None:
    hook, slack = Webhook().start(), Webhook().start()
    delivery = Delivery([WebhookNotifier(hook.url, headers={"X-Token": "t"}), WebhookNotifier(slack.url, slack=True)])
    try:
        delivery.publish(ALERT)
        delivery.publish(ALERT, repeat=True)  # still firing: webhooks are not told again
        assert delivery.flush()
        (sent,) = hook.bodies
        assert sent["headers"]["X-Token"] == "t"
        assert sent["body"]["status"] == "firing"
        (alert,) = sent["body"]["alerts"]
        assert alert["fingerprint"] == ALERT.fingerprint and alert["labels"]["severity"] == "page"
        assert alert["example_trace_ids"] == ["ab" * 16]
        assert "budget burning" in slack.bodies[0]["body"]["text"]
    finally:
        delivery.close()
        hook.stop()
        slack.stop()


def test_retries_on_503_then_delivers() -> None:
    hook = Webhook(statuses=[503, 503]).start()
    delivery = Delivery([WebhookNotifier(hook.url)], backoff_s=0.05)
    try:
        delivery.publish(ALERT)
        assert delivery.flush()
        assert len(hook.bodies) == 1
        name = delivery.notifiers[0].name
        assert delivery.stats.retried[name] == 2 and delivery.stats.delivered[name] == 1
    finally:
        delivery.close()
        hook.stop()


def test_an_unreachable_receiver_is_counted_and_does_not_block_the_others() -> None:
    hook = Webhook().start()
    dead = WebhookNotifier(f"http://127.0.0.1:{free_port()}/nothing", timeout_s=0.5)
    delivery = Delivery([dead, WebhookNotifier(hook.url)], attempts=3, backoff_s=0.05)
    try:
        started = time.perf_counter()
        for _ in range(3):
            delivery.publish(ALERT)
        assert time.perf_counter() - started < 0.5  # publishing never waits for a receiver
        assert delivery.flush(30)
        assert delivery.stats.failed[dead.name] == 3
        assert len(hook.bodies) == 3
    finally:
        delivery.close()
        hook.stop()


def test_a_full_queue_drops_and_counts() -> None:
    hook = Webhook().start()
    delivery = Delivery([WebhookNotifier(hook.url)], max_queued=2)
    try:
        for _ in range(50):
            delivery.publish(ALERT)
        assert delivery.flush()
        name = delivery.notifiers[0].name
        assert delivery.stats.dropped[name] > 0
        assert delivery.stats.dropped[name] + delivery.stats.delivered[name] == 50
    finally:
        delivery.close()
        hook.stop()
