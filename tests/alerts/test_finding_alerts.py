"""Findings become alerts: a prompt change found in every tenant is one alert naming the tenants."""

from __future__ import annotations

from pathlib import Path

from genlens.alerts.findings_job import FindingsAlertJob
from genlens.alerts.notify import Delivery, WebhookNotifier
from genlens.analysis.findings import PROMPT_REGRESSION, RUNAWAY_CONVERSATION, Finding
from genlens.store.base import WriteBatch
from genlens.store.duckdb import DuckDBStore
from tests.alerts.receivers import Webhook

NOW = 1_790_000_000 * 10**9
HOUR = 3600 * 10**9


def _finding(tenant: str, kind: str = PROMPT_REGRESSION, severity: str = "critical", **subject: str) -> Finding:
    return Finding(kind, severity, tenant, NOW - 2 * HOUR, NOW, 0.03, 0.01, "usd_per_call",
                   example_trace_ids=[f"{abs(hash(tenant)) % 16**32:032x}"], **subject)  # type: ignore[arg-type]


def test_one_prompt_change_in_three_tenants_is_one_alert_then_resolves(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "s.duckdb")
    hook = Webhook().start()
    delivery = Delivery([WebhookNotifier(hook.url)], backoff_s=0.05)
    try:
        records = [_finding(t, feature="chat", prompt_sha="sha-new").record(NOW) for t in ("acme", "globex", "initech")]
        records.append(_finding("acme", RUNAWAY_CONVERSATION, "warning", feature="chat",
                                conversation_id="conv-7").record(NOW))
        store.write(WriteBatch(findings=records))
        job = FindingsAlertJob(store, delivery, interval_s=30, fresh_s=3600, ui_url="http://gl:4318")
        firing = {a.labels: a for a in job.run_once(NOW + 60 * 10**9)}
        assert len(firing) == 2  # the prompt change (three tenants) and the runaway conversation
        prompt = next(a for a in firing.values() if ("kind", PROMPT_REGRESSION) in a.labels)
        assert dict(prompt.annotations)["tenants"] == "acme, globex, initech"
        assert prompt.severity == "ticket" and "in 3 tenant(s)" in prompt.summary and "3.00x" in prompt.summary
        assert len(prompt.example_trace_ids) == 3
        runaway = next(a for a in firing.values() if ("kind", RUNAWAY_CONVERSATION) in a.labels)
        assert runaway.severity == "info" and dict(runaway.annotations)["runbook"].endswith("runaway-conversation.md")
        job.run_once(NOW + 120 * 10**9)  # detected again: still the same two alerts, nobody told twice
        assert delivery.flush()
        assert [b["body"]["status"] for b in hook.bodies] == ["firing", "firing"]
        job.run_once(NOW + 2 * HOUR)  # not detected for longer than fresh_s: resolved
        assert job.active == {}
        assert delivery.flush()
        assert [b["body"]["status"] for b in hook.bodies] == ["firing", "firing", "resolved", "resolved"]
    finally:
        delivery.close()
        hook.stop()
        store.close()


def test_the_alerts_page_renders_finding_and_slo_alerts(tmp_path: Path) -> None:
    """Both kinds of alert through the page's template (labels and annotations differ between them)."""
    from genlens.alerts.notify import Alert
    from genlens.server.ui.render import ENV
    from genlens.server.ui.views_slo import AlertsPage

    finding = Alert("GenlensFinding", "ticket", (("kind", PROMPT_REGRESSION), ("feature", "chat")),
                    "prompt cost regression in 3 tenant(s)", (("tenants", "a, b, c"), ("link", "http://gl/traces")),
                    NOW, example_trace_ids=("ab" * 16,))
    slo = Alert("SloErrorBudgetBurn", "page", (("sloth_id", "bot-api"),), "burning", (), NOW)
    ctx = AlertsPage(True, [finding.as_dict(), slo.as_dict()], [], [], [])
    html = ENV.get_template("alerts.html").render(ctx=ctx, request=None, nav="alerts")
    assert "tenants: a, b, c" in html and "bot-api" in html and PROMPT_REGRESSION in html
    assert f'href="/traces/{"ab" * 16}"' in html
