"""Alerts: what fires (``slo_job``: the SLOs' burn-rate pairs), and who is told (``notify``: webhooks,
Slack, Alertmanager, the log, through a delivery that retries and never blocks)."""
