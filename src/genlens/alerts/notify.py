"""Telling someone: alerts, the notifiers that carry them, and a delivery that never blocks the caller.

An :class:`Alert` is identified by its *fingerprint* (a hash of its name and
labels), so one incident is one alert however often it is evaluated.  Notifiers:

* :class:`WebhookNotifier` — a generic JSON webhook (``{"status", "alerts": [...]}``), or the
  Slack-compatible ``{"text": ...}`` body with ``slack=True``;
* :class:`AlertmanagerNotifier` — ``POST /api/v2/alerts`` of a real Alertmanager, so routing,
  grouping, inhibition and silences live where the team has them.  Firing alerts are re-sent on
  every evaluation (Alertmanager resolves an alert it stops hearing about), resolved ones once
  with their ``endsAt``;
* :class:`LogNotifier` — a log line.

:class:`Delivery` hands each event to each notifier on a thread of its own, with
retries and exponential backoff; its queue is bounded and what it cannot deliver
is counted, never waited for.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from genlens.timeparse import iso

log = logging.getLogger("genlens.alerts")


@dataclass(frozen=True)
class Alert:
    name: str
    severity: str  # page | ticket | info
    labels: tuple[tuple[str, str], ...]
    summary: str
    annotations: tuple[tuple[str, str], ...] = ()
    starts_at_ns: int = 0
    ends_at_ns: int | None = None  # set when resolved
    example_trace_ids: tuple[str, ...] = ()

    @property
    def fingerprint(self) -> str:
        text = "\x1f".join(f"{k}={v}" for k, v in sorted(self.all_labels().items()))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def resolved(self) -> bool:
        return self.ends_at_ns is not None

    def all_labels(self) -> dict[str, str]:
        return {"alertname": self.name, "severity": self.severity, **dict(self.labels)}

    def as_dict(self) -> dict[str, Any]:
        return {"fingerprint": self.fingerprint, "name": self.name, "severity": self.severity,
                "status": "resolved" if self.resolved else "firing", "labels": self.all_labels(),
                "summary": self.summary, "annotations": dict(self.annotations),
                "starts_at": iso(self.starts_at_ns), "ends_at": iso(self.ends_at_ns) if self.resolved else None,
                "example_trace_ids": list(self.example_trace_ids)}


class Notifier(Protocol):
    name: str
    repeats: bool  # wants a firing alert again at every evaluation (Alertmanager), not only when it changes

    def send(self, alert: Alert, *, repeat: bool) -> None:
        """Deliver one firing or resolved alert; raise to be retried.  ``repeat``: already sent as firing."""


class WebhookNotifier:
    repeats = False

    def __init__(self, url: str, *, slack: bool = False, headers: dict[str, str] | None = None,
                 timeout_s: float = 10.0) -> None:
        self.name = f"{'slack' if slack else 'webhook'}:{url}"
        self.url = url
        self.slack = slack
        self.headers = dict(headers or {})
        self.timeout_s = timeout_s

    def send(self, alert: Alert, *, repeat: bool) -> None:
        if self.slack:
            state = "RESOLVED" if alert.resolved else alert.severity.upper()
            lines = [f"*[{state}] {alert.name}*: {alert.summary}"]
            lines += [f"{k}: {v}" for k, v in alert.annotations if k != "summary"]
            if alert.example_trace_ids:
                lines.append("example traces: " + ", ".join(alert.example_trace_ids))
            body: dict[str, Any] = {"text": "\n".join(lines)}
        else:
            body = {"status": "resolved" if alert.resolved else "firing", "alerts": [alert.as_dict()]}
        response = httpx.post(self.url, json=body, headers=self.headers, timeout=self.timeout_s)
        response.raise_for_status()


class AlertmanagerNotifier:
    repeats = True

    def __init__(self, url: str, *, timeout_s: float = 10.0) -> None:
        self.name = f"alertmanager:{url}"
        self.url = url.rstrip("/") + "/api/v2/alerts"
        self.timeout_s = timeout_s

    def send(self, alert: Alert, *, repeat: bool) -> None:
        item: dict[str, Any] = {
            "labels": alert.all_labels(),
            "annotations": {"summary": alert.summary, **dict(alert.annotations),
                            **({"example_trace_ids": ", ".join(alert.example_trace_ids)}
                               if alert.example_trace_ids else {})},
            "startsAt": iso(alert.starts_at_ns),
        }
        if alert.resolved:
            item["endsAt"] = iso(alert.ends_at_ns)
        generator = dict(alert.annotations).get("link")
        if generator:
            item["generatorURL"] = generator
        response = httpx.post(self.url, json=[item], timeout=self.timeout_s)
        response.raise_for_status()


class Silencer(Protocol):
    def matches(self, alert: Alert, now_ns: int) -> bool:
        """Whether this silence holds ``alert`` back at ``now_ns``."""


class LogNotifier:
    name = "log"
    repeats = False

    def send(self, alert: Alert, *, repeat: bool) -> None:
        log.warning("alert %s [%s] %s: %s", "resolved" if alert.resolved else "firing", alert.severity,
                        alert.name, alert.summary)


@dataclass
class _Item:
    notifier: Notifier
    alert: Alert
    repeat: bool
    attempts: int = 0
    not_before: float = 0.0


@dataclass
class DeliveryStats:
    delivered: Counter[str] = field(default_factory=Counter)  # notifier → alerts delivered
    retried: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)  # given up after every attempt
    dropped: Counter[str] = field(default_factory=Counter)  # the queue was full
    silenced: int = 0  # alert events a silence held back


class Delivery:
    """Hands alerts to notifiers off the caller's thread: bounded queue, retries with backoff, counts."""

    def __init__(self, notifiers: Sequence[Notifier], *, max_queued: int = 1000, attempts: int = 5,
                 backoff_s: float = 0.5, silences: Sequence[Silencer] = (),
                 history: Callable[[Alert], None] | None = None) -> None:
        self.notifiers = tuple(notifiers)
        self.silences = tuple(silences)
        self.history = history  # told of each alert as it fires and resolves (silenced ones too)
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.stats = DeliveryStats()
        self._queue: queue.Queue[_Item] = queue.Queue(max_queued)
        self._retry: list[_Item] = []
        self._busy = False  # an item is being attempted (flush waits for it)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="genlens-alert-delivery", daemon=True)
        self._thread.start()

    def publish(self, alert: Alert, *, repeat: bool = False) -> None:
        """Queue ``alert`` for every notifier (a ``repeat`` of a firing alert only for those that want one).

        A silenced alert is not sent (and counted); the job still tracks it as firing.
        """
        if not repeat and self.history is not None:
            try:
                self.history(alert)
            except Exception:  # noqa: BLE001 - the history is a record; delivery goes on without it
                log.exception("alert %s: could not record it in the history", alert.name)
        if self.silenced(alert):
            self.stats.silenced += 1
            return
        for notifier in self.notifiers:
            if repeat and not notifier.repeats:
                continue
            try:
                self._queue.put_nowait(_Item(notifier, alert, repeat))
            except queue.Full:
                self.stats.dropped[notifier.name] += 1

    def silenced(self, alert: Alert, now_ns: int | None = None) -> bool:
        now = time.time_ns() if now_ns is None else now_ns
        return any(s.matches(alert, now) for s in self.silences)

    def _run(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            due = [item for item in self._retry if item.not_before <= now]
            self._retry = [item for item in self._retry if item.not_before > now]
            self._busy = bool(due)
            for item in due:
                self._attempt(item)
            try:
                item = self._queue.get(timeout=0.1)
            except queue.Empty:
                self._busy = False
                continue
            self._busy = True
            self._attempt(item)
            self._busy = False

    def _attempt(self, item: _Item) -> None:
        item.attempts += 1
        name = item.notifier.name
        try:
            item.notifier.send(item.alert, repeat=item.repeat)
        except Exception as exc:  # noqa: BLE001 - a receiver that is down must not stop delivery to others
            if item.attempts >= self.attempts:
                self.stats.failed[name] += 1
                log.error("alert %s not delivered to %s after %d attempts: %s", item.alert.name, name,
                          item.attempts, exc)
                return
            self.stats.retried[name] += 1
            item.not_before = time.monotonic() + self.backoff_s * 2 ** (item.attempts - 1)
            self._retry.append(item)
            return
        self.stats.delivered[name] += 1

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until nothing is queued or waiting for a retry (tests, shutdown); True if so."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._queue.empty() and not self._retry and not self._busy:
                time.sleep(0.05)
                if self._queue.empty() and not self._retry and not self._busy:
                    return True
            time.sleep(0.05)
        return False

    def close(self, timeout_s: float = 5.0) -> None:
        self.flush(timeout_s)
        self._stop.set()
        self._thread.join(timeout_s)
