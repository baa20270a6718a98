"""OTLP/HTTP receivers: ``POST /v1/traces``, ``/v1/logs``, ``/v1/metrics``.

Per the OTLP specification: protobuf or JSON bodies (answered in the same
encoding), optional gzip, ``partial_success`` for items refused one by one, 400
for a malformed body, 415 for another content type, 413 over the size limit, and
503 with Retry-After when the write queue is full.  The 200 is sent only after
the batch is committed.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable
from concurrent.futures.process import BrokenProcessPool

from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc import status_pb2
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from genlens.errors import (
    BadRequest,
    GenlensError,
    Overloaded,
    PayloadTooLarge,
    StoreError,
    UnsupportedMediaType,
)
from genlens.pipeline.decode import JSON, PROTOBUF
from genlens.pipeline.ingest import Ingestor
from genlens.server.auth import principal_of, sender_of
from genlens.server.otlp_reply import SIGNALS, export_response

log = logging.getLogger("genlens.otlp")


def _media_type(request: Request) -> str:
    raw = request.headers.get("content-type", "")
    media = raw.split(";", 1)[0].strip().lower()
    if media not in (PROTOBUF, JSON):
        raise UnsupportedMediaType(
            f"unsupported content type {raw[:80]!r}; use application/x-protobuf or application/json"
        )
    return media


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, gunzipped, refusing anything over ``limit`` bytes (before or after inflating)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise PayloadTooLarge(f"body of {declared} bytes exceeds the limit of {limit} bytes")
        except ValueError as exc:
            raise BadRequest(f"bad Content-Length {declared[:40]!r}") from exc
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "deflate"):
        raise UnsupportedMediaType(f"unsupported content encoding {encoding[:40]!r}; use gzip or identity")
    inflater = zlib.decompressobj(wbits=47 if encoding == "gzip" else 15)  # 47: gzip or zlib header
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise BadRequest(f"body is not valid {encoding}: {exc}") from exc
    if len(out) > limit or inflater.unconsumed_tail:
        raise PayloadTooLarge(f"decompressed body exceeds the limit of {limit} bytes")
    if not inflater.eof:
        raise BadRequest(f"{encoding} body is truncated")
    return out


def encode(message: Message, media: str) -> bytes:
    if media == JSON:
        return json_format.MessageToJson(message, indent=None).encode()
    return message.SerializeToString()


def error_response(exc: GenlensError, media: str) -> Response:
    status = status_pb2.Status(code=3 if exc.status_code < 500 else 14, message=str(exc))
    headers = {}
    if isinstance(exc, Overloaded):
        headers["Retry-After"] = str(max(1, round(exc.retry_after)))
    return Response(encode(status, media), status_code=exc.status_code, headers=headers, media_type=media)


def _receiver(
    ingestor: Ingestor,
    limit: int,
    signal: str,
) -> Callable[[Request], Awaitable[Response]]:
    async def receive(request: Request) -> Response:
        media = JSON if "json" in request.headers.get("content-type", "") else PROTOBUF
        prepared = None
        try:
            media = _media_type(request)
            body = await read_body(request, limit)
            try:
                sender = sender_of(principal_of(request), ingestor.settings.default_tenant)
                prepared = await asyncio.wrap_future(ingestor.prepare_async(signal, body, media, sender))
            except BrokenProcessPool:
                raise ingestor.worker_died() from None
            future = ingestor.submit(prepared)
            await asyncio.wrap_future(future)
        except StoreError as exc:  # not the client's fault: ask it to retry; nothing was acknowledged
            log.error("export not stored: %s", exc)
            ingestor.count_export(signal, prepared, exc)
            return error_response(Overloaded(f"storage unavailable: {exc}"), media)
        except GenlensError as exc:
            if exc.status_code >= 500:
                log.warning("export refused: %s", exc)
            ingestor.count_export(signal, prepared, exc)
            return error_response(exc, media)
        ingestor.count_export(signal, prepared)
        response = export_response(signal, prepared.rejected)
        return Response(encode(response, media), media_type=media)

    return receive


def otlp_routes(ingestor: Ingestor, limit: int) -> list[Route]:
    return [
        Route(f"/v1/{signal}", _receiver(ingestor, limit, signal), methods=["POST"]) for signal in SIGNALS
    ]
