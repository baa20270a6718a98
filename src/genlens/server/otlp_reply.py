"""The answer to an accepted OTLP export, the same for OTLP/HTTP and OTLP/gRPC.

An export is answered only after its batch is committed.  Items the pipeline
refused one by one are reported in ``partial_success`` (the count in the field
of the export's signal, and the first reasons as ``error_message``), as the OTLP
specification asks; an export with nothing refused gets an empty response.
"""

from __future__ import annotations

from typing import TypeAlias

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as logs_pb
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as metrics_pb
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as trace_pb

from genlens.pipeline.decode import Rejections

ExportResponse: TypeAlias = (
    trace_pb.ExportTraceServiceResponse | logs_pb.ExportLogsServiceResponse | metrics_pb.ExportMetricsServiceResponse
)

# OTLP signal → (response type, the partial-success field counting its refused items)
SIGNALS: dict[str, tuple[type[ExportResponse], str]] = {
    "traces": (trace_pb.ExportTraceServiceResponse, "rejected_spans"),
    "logs": (logs_pb.ExportLogsServiceResponse, "rejected_log_records"),
    "metrics": (metrics_pb.ExportMetricsServiceResponse, "rejected_data_points"),
}


def export_response(signal: str, rejected: Rejections) -> ExportResponse:
    """The response to a committed export of ``signal``, with ``partial_success`` when items were refused."""
    response_type, field = SIGNALS[signal]
    response = response_type()
    if rejected.count:
        response.partial_success.SetInParent()
        setattr(response.partial_success, field, rejected.count)
        response.partial_success.error_message = rejected.message
    return response
