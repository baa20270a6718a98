"""Contract: alert events go in through a write batch and come back newest first, parsed, from a time on."""

from __future__ import annotations

from collections.abc import Callable

from genlens.alerts.book import event_row, event_view
from genlens.alerts.notify import Alert
from genlens.store.base import Store, WriteBatch

T = 1_800_000_000 * 10**9


def test_alert_events_round_trip(new_store: Callable[[str], Store]) -> None:
    fired = Alert("LLMErrorBurst", "page", (("provider", "anthropic"), ("model", "claude-haiku-4-5")),
                  "error rate of … is 100%", (("runbook", "docs/runbooks/provider-outage.md"),), T,
                  example_trace_ids=("a" * 32, "b" * 32))
    resolved = Alert(fired.name, fired.severity, fired.labels, fired.summary, fired.annotations, T, T + 60 * 10**9,
                     fired.example_trace_ids)
    store = new_store("alerts")
    try:
        store.write(WriteBatch(alert_events=[event_row(fired, T), event_row(resolved, T + 60 * 10**9)]))
        rows = store.alert_events(T)
        assert [r["status"] for r in rows] == ["resolved", "firing"]
        assert rows[1]["labels"] == fired.all_labels() and rows[1]["annotations"] == dict(fired.annotations)
        assert list(rows[1]["example_trace_ids"]) == list(fired.example_trace_ids)
        assert rows[0]["ends_ns"] == T + 60 * 10**9 and rows[1]["ends_ns"] is None
        assert rows[0]["fingerprint"] == rows[1]["fingerprint"] == fired.fingerprint
        assert [r["status"] for r in store.alert_events(T + 1)] == ["resolved"]
        assert store.alert_events(T, limit=1) == rows[:1]
        view = event_view(rows[0])
        assert view["status"] == "resolved" and view["ends_at"] is not None and view["name"] == "LLMErrorBurst"
    finally:
        store.close()
