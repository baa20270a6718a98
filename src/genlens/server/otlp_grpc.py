"""OTLP/gRPC receivers (TraceService, LogsService, MetricsService) on the gRPC port.

The handlers take the raw request bytes and hand them to the same ingest
pipeline as OTLP/HTTP (so traces use the native decoder too); a reply is sent
only after the commit.  A malformed request answers INVALID_ARGUMENT; a full
write queue answers UNAVAILABLE, which OTLP exporters retry with backoff.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from concurrent import futures
from typing import TypeAlias

import grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as logs_pb
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as metrics_pb
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as trace_pb

from genlens.errors import GenlensError, Overloaded, StoreError
from genlens.pipeline.ingest import Ingestor, Prepared

log = logging.getLogger("genlens.otlp.grpc")

_Response: TypeAlias = (
    trace_pb.ExportTraceServiceResponse | logs_pb.ExportLogsServiceResponse | metrics_pb.ExportMetricsServiceResponse
)

# service name → (kind of export, response type, partial-success field)
_SERVICES: dict[str, tuple[str, type[_Response], str]] = {
    "opentelemetry.proto.collector.trace.v1.TraceService":
        ("traces", trace_pb.ExportTraceServiceResponse, "rejected_spans"),
    "opentelemetry.proto.collector.logs.v1.LogsService":
        ("logs", logs_pb.ExportLogsServiceResponse, "rejected_log_records"),
    "opentelemetry.proto.collector.metrics.v1.MetricsService":
        ("metrics", metrics_pb.ExportMetricsServiceResponse, "rejected_data_points"),
}


def _export_handler(
    prepare: Callable[[bytes], Prepared], ingestor: Ingestor, response_type: type[_Response], field: str
) -> Callable[[bytes, grpc.ServicerContext], _Response]:
    def export(body: bytes, context: grpc.ServicerContext) -> _Response:
        try:
            prepared = prepare(body)
            ingestor.submit(prepared).result()
        except (Overloaded, StoreError) as exc:
            context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
        except GenlensError as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        response = response_type()
        if prepared.rejected.count:
            setattr(response.partial_success, field, prepared.rejected.count)
            response.partial_success.error_message = prepared.rejected.message
        return response

    return export


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
    handlers = []
    for service, (kind, response_type, field) in _SERVICES.items():
        export = _export_handler(functools.partial(ingestor.prepare, kind), ingestor, response_type, field)
        handler: grpc.RpcMethodHandler[bytes, _Response] = grpc.unary_unary_rpc_method_handler(
            export, request_deserializer=None, response_serializer=response_type.SerializeToString
        )
        handlers.append(grpc.method_handlers_generic_handler(service, {"Export": handler}))
    server.add_generic_rpc_handlers(tuple(handlers))
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"cannot bind gRPC port {host}:{port}")
    server.start()
    return server, bound
