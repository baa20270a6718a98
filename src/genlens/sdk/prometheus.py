"""Optional in-process Prometheus endpoint: ``init(prometheus_port=9464)`` serves ``/metrics``.

A pull-based :class:`MetricReader` is attached to the SDK's MeterProvider; each
scrape collects it and renders the Prometheus text format (counters as
``_total``, histograms as ``_bucket``/``_sum``/``_count``).  The server binds to
loopback by default and serves only ``GET /metrics``.
"""

from __future__ import annotations

import math
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.sdk.metrics.export import Gauge, Histogram, InMemoryMetricReader, Sum

_NAME = re.compile(r"[^a-zA-Z0-9_:]")
_LABEL = re.compile(r"[^a-zA-Z0-9_]")
_UNITS = {"s": "seconds", "USD": "usd", "1": "ratio"}


def _name(name: str, unit: str) -> str:
    base = _NAME.sub("_", name)
    suffix = _UNITS.get(unit)
    if suffix and not base.endswith(suffix):
        base = f"{base}_{suffix}"
    return base


def _escape(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(attributes: Any, extra: dict[str, str] | None = None) -> str:
    items = {_LABEL.sub("_", str(k)): v for k, v in dict(attributes or {}).items()}
    items.update(extra or {})
    if not items:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(items.items())) + "}"


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if isinstance(value, float) else str(value)


def render(reader: InMemoryMetricReader) -> str:
    """Prometheus text exposition (version 0.0.4) of everything the reader collects now."""
    data = reader.get_metrics_data()
    lines: list[str] = []
    if data is None:
        return ""
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                name = _name(metric.name, metric.unit or "")
                point_data = metric.data
                if isinstance(point_data, Sum):
                    counter = point_data.is_monotonic
                    full = f"{name}_total" if counter and not name.endswith("_total") else name
                    lines.append(f"# HELP {full} {_escape(metric.description)}")
                    lines.append(f"# TYPE {full} {'counter' if counter else 'gauge'}")
                    for number in point_data.data_points:
                        lines.append(f"{full}{_labels(number.attributes)} {_number(number.value)}")
                elif isinstance(point_data, Histogram):
                    lines.append(f"# HELP {name} {_escape(metric.description)}")
                    lines.append(f"# TYPE {name} histogram")
                    for hist in point_data.data_points:
                        running = 0
                        for bound, count in zip(hist.explicit_bounds, hist.bucket_counts, strict=False):
                            running += count
                            lines.append(f"{name}_bucket{_labels(hist.attributes, {'le': _number(float(bound))})} "
                                         f"{running}")
                        lines.append(f"{name}_bucket{_labels(hist.attributes, {'le': '+Inf'})} {hist.count}")
                        lines.append(f"{name}_sum{_labels(hist.attributes)} {_number(hist.sum)}")
                        lines.append(f"{name}_count{_labels(hist.attributes)} {hist.count}")
                elif isinstance(point_data, Gauge):
                    lines.append(f"# TYPE {name} gauge")
                    for number in point_data.data_points:
                        lines.append(f"{name}{_labels(number.attributes)} {_number(number.value)}")
                # Exponential histograms are skipped: genlens's MeterProvider sets no view that makes them.
    return "\n".join(lines) + "\n"


class PrometheusEndpoint:
    """A pull reader plus a tiny HTTP server for it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 9464, before_scrape: Any = None) -> None:
        self.reader = InMemoryMetricReader()  # cumulative by default, as Prometheus wants
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                if self.path.split("?")[0] != "/metrics":
                    self.send_error(404)
                    return
                if before_scrape is not None:
                    before_scrape()
                body = render(endpoint.reader).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, name="genlens-prometheus", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)
