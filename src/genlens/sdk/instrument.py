"""Patching: wraps provider SDK methods with the core, idempotently and reversibly.

A provider module describes each method with a :class:`MethodSpec` (how to
read its request, its response and its stream); this module does the rest for
sync and async methods alike.  The provider's own exceptions propagate
unchanged; genlens's own failures fall back to the plain call.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace

from genlens.sdk import _safety
from genlens.sdk.core import LLMCall, Request, Result
from genlens.sdk.streams import Accumulator, AsyncTracedStream, TracedStream
from genlens.semconv import attrs

_MARK = "__genlens_original__"


@dataclass(frozen=True)
class MethodSpec:
    """How to instrument one provider method."""

    request: Callable[[Any, dict[str, Any]], Request]
    response: Callable[[Any], Result]
    accumulator: Callable[[dict[str, Any], bool], Accumulator] | None = None
    # Returns (kwargs to send, whether genlens added a usage flag whose extra chunk it must hide).
    stream_kwargs: Callable[[dict[str, Any]], tuple[dict[str, Any], bool]] | None = None


def _is_stream(kwargs: dict[str, Any]) -> bool:
    return kwargs.get("stream") is True


def _start(spec: MethodSpec, instance: Any, kwargs: dict[str, Any]) -> tuple[LLMCall, dict[str, Any], bool, bool]:
    streaming = spec.accumulator is not None and _is_stream(kwargs)
    hide = False
    if streaming and spec.stream_kwargs is not None:
        kwargs, hide = spec.stream_kwargs(kwargs)
    call = LLMCall(spec.request(instance, kwargs), streaming)
    return call, kwargs, streaming, hide


def _finish(spec: MethodSpec, call: LLMCall, response: Any) -> None:
    # the response is read when the span is finished, which may be off the caller's thread
    call.finish(lambda: spec.response(response))


def _complete(spec: MethodSpec, call: LLMCall, response: Any, stream_type: type | None,
              kwargs: dict[str, Any], hide: bool) -> Any:
    """What the caller gets back: a traced stream (span ends with it) or the response (span ended now)."""
    if stream_type is not None:
        try:
            return stream_type(response, call, spec.accumulator(kwargs, hide))  # type: ignore[misc]
        except Exception as exc:
            _safety.report("wrap stream", exc)
            call.finish(None)
            return response
    _finish(spec, call, response)
    return response


def wrap_sync(original: Callable[..., Any], spec: MethodSpec) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if args:  # provider SDKs take keyword arguments only; anything else is not ours to read
            return original(self, *args, **kwargs)
        try:
            call, kwargs, streaming, hide = _start(spec, self, kwargs)
        except Exception as exc:
            _safety.report("start llm span", exc)
            return original(self, **kwargs)
        try:
            if streaming:
                response = original(self, **kwargs)
            else:
                token = otel_context.attach(trace.set_span_in_context(call.span))
                try:
                    response = original(self, **kwargs)
                finally:
                    otel_context.detach(token)
        except BaseException as exc:
            call.fail(exc)
            raise
        return _complete(spec, call, response, TracedStream if streaming else None, kwargs, hide)

    setattr(wrapper, _MARK, original)
    return wrapper


def wrap_async(original: Callable[..., Any], spec: MethodSpec) -> Callable[..., Any]:
    @functools.wraps(original)
    async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if args:
            return await original(self, *args, **kwargs)
        try:
            call, kwargs, streaming, hide = _start(spec, self, kwargs)
        except Exception as exc:
            _safety.report("start llm span", exc)
            return await original(self, **kwargs)
        try:
            token = otel_context.attach(trace.set_span_in_context(call.span))
            try:
                response = await original(self, **kwargs)
            finally:
                otel_context.detach(token)
        except BaseException as exc:
            if type(exc).__name__ == "CancelledError":
                call.finish(None, cancelled=True)
            else:
                call.fail(exc)
            raise
        return _complete(spec, call, response, AsyncTracedStream if streaming else None, kwargs, hide)

    setattr(wrapper, _MARK, original)
    return wrapper


def patch(cls: type, name: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> bool:
    """Replace ``cls.name`` by ``make(original)`` unless it is already patched."""
    original = cls.__dict__.get(name)
    if original is None or hasattr(original, _MARK):
        return False
    wrapped = make(original)
    if not hasattr(wrapped, _MARK):
        setattr(wrapped, _MARK, original)
    setattr(cls, name, wrapped)
    return True


def patch_method(cls: type, name: str, spec: MethodSpec) -> bool:
    original = cls.__dict__.get(name)
    if original is None:
        return False
    # decorators such as the SDKs' required_args hide the coroutine behind a plain def
    maker = wrap_async if inspect.iscoroutinefunction(inspect.unwrap(original)) else wrap_sync
    return patch(cls, name, lambda orig: maker(orig, spec))


def unpatch(cls: type, name: str) -> bool:
    current = cls.__dict__.get(name)
    original = getattr(current, _MARK, None)
    if original is None:
        return False
    setattr(cls, name, original)
    return True


_servers: dict[int, tuple[Any, dict[str, Any]]] = {}


def server_attributes(instance: Any) -> dict[str, Any]:
    """server.address / server.port of the client a resource belongs to (cached per base URL object)."""
    try:
        url = instance._client.base_url
    except Exception:
        return {}
    cached = _servers.get(id(url))
    if cached is not None and cached[0] is url:
        return dict(cached[1])
    try:
        found = {attrs.SERVER_ADDRESS: url.host, attrs.SERVER_PORT: url.port or (443 if url.scheme == "https" else 80)}
    except Exception:
        return {}
    if len(_servers) >= 256:
        _servers.clear()
    _servers[id(url)] = (url, found)  # holding the URL keeps its id from being reused
    return dict(found)
