"""A thin layer over raw ASGI: read a bounded body, answer JSON, pace an SSE stream.

No framework on purpose: the simulator must answer thousands of requests per
second on one core so it never limits a load test, and a provider's wire
format is simple enough that Starlette's request/response objects only cost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import orjson

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class ApiError(Exception):
    """An error answered in the provider's own error-body shape."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 headers: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = list(headers)


class StreamAborted(Exception):
    """Raised after a stalled stream's wait: the server drops the connection mid-body."""


class Exchange:
    """One HTTP request/response over ASGI."""

    __slots__ = ("scope", "receive", "send", "max_body", "started")

    def __init__(self, scope: Scope, receive: Receive, send: Send, max_body: int) -> None:
        self.scope = scope
        self.receive = receive
        self.send = send
        self.max_body = max_body
        self.started = False

    @property
    def method(self) -> str:
        return str(self.scope["method"])

    @property
    def path(self) -> str:
        return str(self.scope["path"])

    def header(self, name: bytes) -> str | None:
        for key, value in self.scope["headers"]:
            if key == name:
                return bytes(value).decode("latin-1")
        return None

    async def body(self) -> bytes:
        """The request body, refused with 413 past ``max_body`` bytes (checked while reading)."""
        declared = self.header(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            raise ApiError(413, f"Request body of {declared} bytes exceeds the {self.max_body} byte limit.",
                           "request_too_large")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ApiError(499, "Client closed the request.")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise ApiError(413, f"Request body exceeds the {self.max_body} byte limit.", "request_too_large")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def json_body(self) -> dict[str, Any]:
        raw = await self.body()
        try:
            parsed = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError as exc:
            raise ApiError(400, f"We could not parse the JSON body of your request: {exc}") from exc
        if not isinstance(parsed, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        return parsed

    async def reply(self, status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()) -> None:
        body = orjson.dumps(payload)
        raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        raw_headers.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in headers)
        self.started = True
        await self.send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await self.send({"type": "http.response.body", "body": body})

    async def start_stream(self, headers: Iterable[tuple[str, str]] = ()) -> None:
        raw_headers = [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache")]
        raw_headers.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in headers)
        self.started = True
        await self.send({"type": "http.response.start", "status": 200, "headers": raw_headers})

    async def write(self, data: bytes) -> None:
        await self.send({"type": "http.response.body", "body": data, "more_body": True})

    async def end(self) -> None:
        await self.send({"type": "http.response.body", "body": b"", "more_body": False})


def sse(data: Any, event: str | None = None) -> bytes:
    """One server-sent event; ``data`` is JSON-encoded unless already bytes."""
    payload = data if isinstance(data, bytes) else orjson.dumps(data)
    if event is None:
        return b"data: " + payload + b"\n\n"
    return b"event: " + event.encode() + b"\ndata: " + payload + b"\n\n"


_SENTINEL = "@@piece@@"


def templated(make: Callable[[str], bytes]) -> Callable[[str], bytes]:
    """Speed up ``make(piece)`` for many pieces: encode the frame once, splice each piece in.

    Falls back to ``make`` when the sentinel is not found exactly once (e.g. a
    model name that contains it), so the output is always what ``make`` gives.
    """
    parts = make(_SENTINEL).split(orjson.dumps(_SENTINEL))
    if len(parts) != 2:
        return make
    head, tail = parts
    return lambda piece: head + orjson.dumps(piece) + tail


# A frame is (bytes, is_token): token frames are paced (TTFT before the first, TPOT between).
Frame = tuple[bytes, bool]


async def pace(ex: Exchange, frames: list[Frame], ttft_s: float, tpot_s: float,
               stall_after: int | None, stall_s: float) -> bool:
    """Send ``frames``, sleeping TTFT before the first token and TPOT between tokens.

    Frames between sleeps go out in one write.  With ``stall_after`` set, the
    stream stops after that many token frames, waits ``stall_s`` and then
    raises ``StreamAborted`` (the connection is dropped without the final
    event).  Returns True when the whole stream was sent, False when the
    client went away first (then nothing more is sent or slept).
    """
    pending: list[bytes] = []
    tokens = 0
    loop = asyncio.get_running_loop()
    start = loop.time()
    # the body is read already, so the next receive() only returns when the client goes away
    gone = asyncio.ensure_future(ex.receive())
    try:
        for data, is_token in frames:
            if gone.done():
                return False
            if is_token:
                if stall_after is not None and tokens >= stall_after:
                    if pending:
                        await ex.write(b"".join(pending))
                    await asyncio.wait({gone}, timeout=stall_s)  # a client that leaves ends the wait
                    raise StreamAborted("stalled stream dropped")
                if ttft_s > 0 or tpot_s > 0:
                    if pending and tokens > 0:  # opening events wait for TTFT with the first token
                        await ex.write(b"".join(pending))
                        pending = []
                    # absolute deadlines, so per-token overheads do not add up over a long stream
                    delay = start + ttft_s + tokens * tpot_s - loop.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                tokens += 1
            pending.append(data)
        if pending:
            await ex.write(b"".join(pending))
        await ex.end()
        return True
    finally:
        gone.cancel()
