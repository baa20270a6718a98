"""Decode OTLP metric exports into flat metric-point rows (one row per data point).

Sums, gauges, histograms (with buckets), exponential histograms and summaries are
all kept, with their resource and point attributes, so nothing an app exports is
refused; a point with an absurd timestamp is rejected and counted.
"""

from __future__ import annotations

import time
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.metrics.v1.metrics_pb2 import NumberDataPoint

from genlens.pipeline.decode import Rejections, ValueDecoder, check_time
from genlens.semconv import attrs as A
from genlens.store.schema import METRIC_COLUMNS

_TEMPORALITY = {0: "unspecified", 1: "delta", 2: "cumulative"}


def _point_value(point: NumberDataPoint) -> float | None:
    which = point.WhichOneof("value")
    if which == "as_double":
        return point.as_double
    if which == "as_int":
        return float(point.as_int)
    return None


def decode_metrics(
    request: ExportMetricsServiceRequest, values: ValueDecoder, default_tenant: str
) -> tuple[list[dict[str, Any]], Rejections]:
    rows: list[dict[str, Any]] = []
    rejected = Rejections()
    now_ns = time.time_ns()
    for resource_metrics in request.resource_metrics:
        resource = values.attributes(resource_metrics.resource.attributes)
        tenant = str(resource.get(A.APP_TENANT_ID) or resource.get(A.TENANT_ID) or default_tenant)
        service = resource.get(A.SERVICE_NAME)
        for scope_metrics in resource_metrics.scope_metrics:
            scope_name = scope_metrics.scope.name
            for metric in scope_metrics.metrics:
                kind = metric.WhichOneof("data")
                if kind is None:
                    rejected.add(f"metric {metric.name[:60]!r}: no data", "no_data")
                    continue
                data = getattr(metric, kind)
                base = {
                    "tenant": tenant, "service_name": service, "scope_name": scope_name,
                    "name": metric.name, "description": metric.description, "unit": metric.unit,
                    "type": kind, "resource_attributes": resource,
                    "temporality": _TEMPORALITY.get(getattr(data, "aggregation_temporality", 0), "unspecified"),
                    "is_monotonic": getattr(data, "is_monotonic", None) if kind == "sum" else None,
                }
                for point in data.data_points:
                    reason = check_time(point.time_unix_nano or now_ns, point.time_unix_nano or now_ns, now_ns)
                    if reason:
                        rejected.add(f"metric {metric.name[:60]!r}: {reason}", "invalid_time")
                        continue
                    row = dict.fromkeys(METRIC_COLUMNS)
                    row.update(base)
                    row["time_ns"] = point.time_unix_nano or now_ns
                    row["start_ns"] = point.start_time_unix_nano or None
                    row["attributes"] = values.attributes(point.attributes)
                    _fill_point(row, kind, point)
                    rows.append(row)
    return rows, rejected


def _fill_point(row: dict[str, Any], kind: str, point: Any) -> None:
    if kind in ("sum", "gauge"):
        row["value"] = _point_value(point)
        return
    row["count"] = point.count
    row["sum"] = point.sum if kind == "summary" or point.HasField("sum") else None
    if kind == "summary":
        row["extra"] = {"quantiles": [{"q": q.quantile, "value": q.value} for q in point.quantile_values]}
        return
    row["min"] = point.min if point.HasField("min") else None
    row["max"] = point.max if point.HasField("max") else None
    if kind == "histogram":
        row["bucket_counts"] = list(point.bucket_counts)
        row["explicit_bounds"] = list(point.explicit_bounds)
    else:  # exponential_histogram
        row["extra"] = {
            "scale": point.scale,
            "zero_count": point.zero_count,
            "positive": {"offset": point.positive.offset, "bucket_counts": list(point.positive.bucket_counts)},
            "negative": {"offset": point.negative.offset, "bucket_counts": list(point.negative.bucket_counts)},
        }
