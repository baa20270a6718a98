"""Answer a scrape: negotiate the format, then the span metrics followed by any other collectors.

The format is ``prometheus_client``'s choice from the ``Accept`` header:
OpenMetrics (with exemplars carrying trace and span ids, ``# EOF`` at the end)
when the scraper asks for it — Prometheus does by default — and the Prometheus
text format otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from prometheus_client.core import Metric
from prometheus_client.exposition import choose_encoder

from genlens.metrics.series import encode
from genlens.metrics.spans import SpanMetrics


class Collector(Protocol):
    def collect(self) -> Iterable[Metric]: ...


def render(accept: str | None, spans: SpanMetrics | None, others: Sequence[Collector] = ()) -> tuple[bytes, str]:
    """(body, content type) of one scrape."""
    encoder, content_type = choose_encoder(accept or "")
    fmt = "openmetrics" if content_type.startswith("application/openmetrics-text") else "text"
    head = spans.exposition(fmt, encoder) if spans is not None else b""
    tail = encode([metric for collector in others for metric in collector.collect()], encoder)
    return head + tail, content_type
