"""OTLP/gRPC receivers (TraceService, LogsService, MetricsService) on the gRPC port.

The handlers take the raw request bytes and hand them to the same ingest
pipeline as OTLP/HTTP (so traces use the native decoder too); a reply is sent
only after the commit.  A malformed request answers INVALID_ARGUMENT; a full
write queue answers UNAVAILABLE, which OTLP exporters retry with backoff.

With API keys configured, each call carries ``authorization: Bearer glk_…``
metadata (``OTEL_EXPORTER_OTLP_HEADERS`` sets it for any OTLP exporter): none
or a dead key answers UNAUTHENTICATED, a key whose role may not ingest
PERMISSION_DENIED, and the key's tenants confine the export as over HTTP.  With
``tls`` settings the port serves TLS only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent import futures

import grpc

from genlens.errors import GenlensError, Overloaded, StoreError
from genlens.pipeline.ingest import Ingestor, Sender
from genlens.server.auth import Principal, bearer_token, sender_of
from genlens.server.keys import KeyRing
from genlens.server.otlp_reply import SIGNALS, ExportResponse, export_response

log = logging.getLogger("genlens.otlp.grpc")

# gRPC service name → the OTLP signal it carries
_SERVICES: dict[str, str] = {
    "opentelemetry.proto.collector.trace.v1.TraceService": "traces",
    "opentelemetry.proto.collector.logs.v1.LogsService": "logs",
    "opentelemetry.proto.collector.metrics.v1.MetricsService": "metrics",
}


def _sender(keys: KeyRing | None, ingestor: Ingestor, context: grpc.ServicerContext) -> Sender | None:
    """The call's sender from its ``authorization`` metadata; aborts the call when keys say no."""
    if keys is None or not keys.enforcing():
        return None
    given = dict(context.invocation_metadata() or ()).get("authorization")
    token = bearer_token(given if isinstance(given, str) else None)
    key = keys.authenticate(token) if token else None
    if key is None:
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "an API key is required: authorization: Bearer glk_…")
    principal = Principal(key, "bearer")
    if not principal.may("ingest"):
        context.abort(grpc.StatusCode.PERMISSION_DENIED, f"a {key.role} key may not ingest")
    return sender_of(principal, ingestor.settings.default_tenant)


def _export_handler(
    ingestor: Ingestor, signal: str, keys: KeyRing | None
) -> Callable[[bytes, grpc.ServicerContext], ExportResponse]:
    def export(body: bytes, context: grpc.ServicerContext) -> ExportResponse:
        prepared = None
        sender = _sender(keys, ingestor, context)
        try:
            prepared = ingestor.prepare(signal, body, sender=sender)
            ingestor.submit(prepared).result()
        except (Overloaded, StoreError) as exc:
            ingestor.count_export(signal, prepared, exc)
            context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
        except GenlensError as exc:  # the sender's fault (a malformed export), or ours (a stage that failed)
            ingestor.count_export(signal, prepared, exc)
            code = grpc.StatusCode.INTERNAL if exc.status_code >= 500 else grpc.StatusCode.INVALID_ARGUMENT
            context.abort(code, str(exc))
        ingestor.count_export(signal, prepared)
        return export_response(signal, prepared.rejected)

    return export


def start_grpc(ingestor: Ingestor, host: str, port: int, max_message_bytes: int, keys: KeyRing | None = None,
               tls: tuple[bytes, bytes] | None = None) -> tuple[grpc.Server, int]:
    """Start the gRPC server; returns it with the bound port (useful with port 0).

    ``tls`` is (PEM private key, PEM certificate chain): the port then serves TLS only."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="genlens-grpc"),
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", 4 * 1024 * 1024),
        ],
        maximum_concurrent_rpcs=64,
    )
    handlers = []
    for service, signal in _SERVICES.items():
        response_type = SIGNALS[signal][0]
        handler: grpc.RpcMethodHandler[bytes, ExportResponse] = grpc.unary_unary_rpc_method_handler(
            _export_handler(ingestor, signal, keys), request_deserializer=None,
            response_serializer=response_type.SerializeToString,
        )
        handlers.append(grpc.method_handlers_generic_handler(service, {"Export": handler}))
    server.add_generic_rpc_handlers(tuple(handlers))
    address = f"{host}:{port}"
    if tls is None:
        bound = server.add_insecure_port(address)
    else:
        bound = server.add_secure_port(address, grpc.ssl_server_credentials([tls]))
    if bound == 0:
        raise OSError(f"cannot bind gRPC port {host}:{port}")
    server.start()
    return server, bound
