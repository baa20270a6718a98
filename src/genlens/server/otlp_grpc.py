"""OTLP/gRPC receivers (TraceService, LogsService, MetricsService) on the gRPC port.

They share the ingest pipeline with OTLP/HTTP; a reply is sent only after the
commit.  Malformed requests never reach us (gRPC refuses them); a full write
queue answers UNAVAILABLE, which OTLP exporters retry with backoff.
"""

from __future__ import annotations

import logging
from concurrent import futures
from typing import Any

import grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as logs_pb
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2_grpc as logs_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as metrics_pb
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc as metrics_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as trace_pb
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc as trace_grpc

from genlens.errors import GenlensError, Overloaded, StoreError
from genlens.pipeline.ingest import Ingestor, Prepared

log = logging.getLogger("genlens.otlp.grpc")


def _export(ingestor: Ingestor, prepared: Prepared, context: grpc.ServicerContext) -> None:
    try:
        ingestor.submit(prepared).result()
    except (Overloaded, StoreError) as exc:
        context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
    except GenlensError as exc:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))


def _partial(response: Any, field: str, prepared: Prepared) -> Any:
    if prepared.rejected.count:
        setattr(response.partial_success, field, prepared.rejected.count)
        response.partial_success.error_message = prepared.rejected.message
    return response


class _Traces(trace_grpc.TraceServiceServicer):
    def __init__(self, ingestor: Ingestor) -> None:
        self.ingestor = ingestor

    def Export(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802 - gRPC method name
        prepared = self.ingestor.prepare_traces(request)
        _export(self.ingestor, prepared, context)
        return _partial(trace_pb.ExportTraceServiceResponse(), "rejected_spans", prepared)


class _Logs(logs_grpc.LogsServiceServicer):
    def __init__(self, ingestor: Ingestor) -> None:
        self.ingestor = ingestor

    def Export(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        prepared = self.ingestor.prepare_logs(request)
        _export(self.ingestor, prepared, context)
        return _partial(logs_pb.ExportLogsServiceResponse(), "rejected_log_records", prepared)


class _Metrics(metrics_grpc.MetricsServiceServicer):
    def __init__(self, ingestor: Ingestor) -> None:
        self.ingestor = ingestor

    def Export(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        prepared = self.ingestor.prepare_metrics(request)
        _export(self.ingestor, prepared, context)
        return _partial(metrics_pb.ExportMetricsServiceResponse(), "rejected_data_points", prepared)


def start_grpc(ingestor: Ingestor, host: str, port: int, max_message_bytes: int) -> tuple[grpc.Server, int]:
    """Start the gRPC server; returns it with the bound port (useful with port 0)."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="genlens-grpc"),
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", 4 * 1024 * 1024),
        ],
        maximum_concurrent_rpcs=64,
    )
    trace_grpc.add_TraceServiceServicer_to_server(_Traces(ingestor), server)
    logs_grpc.add_LogsServiceServicer_to_server(_Logs(ingestor), server)
    metrics_grpc.add_MetricsServiceServicer_to_server(_Metrics(ingestor), server)
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"cannot bind gRPC port {host}:{port}")
    server.start()
    return server, bound
