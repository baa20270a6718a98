"""Decorators and ``span()``: the agent/workflow/tool/retrieval tree around LLM calls.

Each decorator works on plain, async, generator and async-generator functions,
makes its span current while the body runs (and only then: a generator's
span is detached at every ``yield`` so the caller's context never leaks in),
records exceptions without changing them, and works before ``init()``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar, overload

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from genlens.sdk import _safety, state
from genlens.sdk import context as app_context
from genlens.sdk.core import LLMCall, Request
from genlens.sdk.readers import read_any_response, read_retrieval
from genlens.semconv import attrs

F = TypeVar("F", bound=Callable[..., Any])


class _Kind:
    """How one decorator names and tags its span."""

    def __init__(self, kind: str, operation: str | None, name_attr: str | None) -> None:
        self.kind, self.operation, self.name_attr = kind, operation, name_attr

    def start(self, name: str, extra: Mapping[str, Any]) -> Span:
        span_attrs: dict[str, Any] = {attrs.APP_SPAN_KIND: self.kind, **app_context.current()}
        if self.operation:
            span_attrs[attrs.GEN_AI_OPERATION_NAME] = self.operation
        if self.name_attr:
            span_attrs[self.name_attr] = name
        span_attrs.update(extra)
        title = f"{self.operation} {name}" if self.operation else name
        return state.CURRENT.tracer.start_span(title, kind=SpanKind.INTERNAL, attributes=span_attrs)


WORKFLOW = _Kind("workflow", attrs.OP_INVOKE_WORKFLOW, attrs.GEN_AI_WORKFLOW_NAME)
AGENT = _Kind("agent", attrs.OP_INVOKE_AGENT, attrs.GEN_AI_AGENT_NAME)
TOOL = _Kind("tool", attrs.OP_EXECUTE_TOOL, attrs.GEN_AI_TOOL_NAME)
RETRIEVAL = _Kind("retrieval", attrs.OP_RETRIEVAL, attrs.GEN_AI_DATA_SOURCE_ID)
OTHER = _Kind("other", None, None)


def _fail(span: Span, exc: BaseException) -> None:
    span.record_exception(exc)
    span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"[:512]))
    span.set_attribute(attrs.ERROR_TYPE, type(exc).__qualname__)


def _content_on(span: Span) -> bool:
    policy = state.CURRENT.content
    return policy.capture and policy.sampled(span.get_span_context())


class _Hooks:
    """What a decorator adds to its span from the call's arguments and result."""

    def before(self, span: Span, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        return {}

    def after(self, span: Span, result: Any) -> None:
        return None


class _ToolHooks(_Hooks):
    def before(self, span: Span, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        call_id = kwargs.get("tool_call_id")
        if isinstance(call_id, str):
            span.set_attribute(attrs.GEN_AI_TOOL_CALL_ID, call_id)
        if _content_on(span):
            text, n = state.CURRENT.content.encode({"args": list(args), "kwargs": kwargs})
            span.set_attributes({attrs.GEN_AI_TOOL_CALL_ARGUMENTS: text, attrs.APP_CONTENT_SAMPLED: True})
            if n:
                span.set_attribute(attrs.APP_REDACTED, True)
        return {}

    def after(self, span: Span, result: Any) -> None:
        if _content_on(span):
            text, n = state.CURRENT.content.encode(result)
            span.set_attribute(attrs.GEN_AI_TOOL_CALL_RESULT, text)
            if n:
                span.set_attribute(attrs.APP_REDACTED, True)


class _RetrievalHooks(_Hooks):
    def before(self, span: Span, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        query = kwargs.get("query", args[0] if args and isinstance(args[0], str) else None)
        if isinstance(query, str) and _content_on(span):
            span.set_attribute(attrs.GEN_AI_RETRIEVAL_QUERY_TEXT, state.CURRENT.content.encode(query)[0])
        return {}

    def after(self, span: Span, result: Any) -> None:
        docs = read_retrieval(result)
        if docs:
            span.set_attribute(attrs.APP_RETRIEVAL_DOCUMENT_IDS, [d[0] for d in docs])
            scores = [score for _, score in docs if score is not None]
            if len(scores) == len(docs):
                span.set_attribute(attrs.APP_RETRIEVAL_DOCUMENT_SCORES, [float(score) for score in scores])
            if _content_on(span):
                encoded = state.CURRENT.content.encode([{"id": i, "score": s} for i, s in docs])[0]
                span.set_attribute(attrs.GEN_AI_RETRIEVAL_DOCUMENTS, encoded)


def _traced(fn: Callable[..., Any], start: Callable[[], Span], hooks: _Hooks) -> Callable[..., Any]:
    """Wrap ``fn`` (any of the four function flavours) so each call runs inside a fresh span."""

    def begin(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Span | None:
        try:
            span = start()
            hooks.before(span, args, kwargs)
            return span
        except Exception as exc:
            _safety.report("start span", exc)
            return None

    def end(span: Span, result: Any = None, exc: BaseException | None = None) -> None:
        try:
            if exc is not None:
                _fail(span, exc)
            else:
                hooks.after(span, result)
            span.end()
        except Exception as inner:
            _safety.report("end span", inner)

    if inspect.isasyncgenfunction(fn):
        @functools.wraps(fn)
        async def agen_wrapper(*args: Any, **kwargs: Any) -> Any:
            span = begin(args, kwargs)
            if span is None:
                async for item in fn(*args, **kwargs):
                    yield item
                return
            ctx = trace.set_span_in_context(span)
            token = otel_context.attach(ctx)
            try:
                agen = fn(*args, **kwargs)
            finally:
                otel_context.detach(token)
            try:
                while True:
                    token = otel_context.attach(ctx)
                    try:
                        item = await agen.__anext__()
                    finally:
                        otel_context.detach(token)
                    yield item
            except StopAsyncIteration:
                end(span)
            except GeneratorExit:  # the consumer stopped early (break, aclose): not an error
                await agen.aclose()
                end(span)
                raise
            except BaseException as exc:
                end(span, exc=exc)
                raise

        return agen_wrapper

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
            span = begin(args, kwargs)
            if span is None:
                return (yield from fn(*args, **kwargs))
            ctx = trace.set_span_in_context(span)
            gen = fn(*args, **kwargs)
            sent: Any = None
            pending: BaseException | None = None
            while True:
                token = otel_context.attach(ctx)
                try:
                    item = gen.throw(pending) if pending is not None else gen.send(sent)
                except StopIteration as stop:
                    end(span, stop.value)
                    return stop.value
                except BaseException as exc:
                    end(span, exc=exc)
                    raise
                finally:
                    otel_context.detach(token)
                pending = None
                try:
                    sent = yield item
                except GeneratorExit:
                    gen.close()
                    end(span)
                    raise
                except BaseException as exc:
                    pending = exc

        return gen_wrapper

    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            span = begin(args, kwargs)
            if span is None:
                return await fn(*args, **kwargs)
            with trace.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
                try:
                    result = await fn(*args, **kwargs)
                except BaseException as exc:
                    end(span, exc=exc)
                    raise
            end(span, result)
            return result

        return async_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        span = begin(args, kwargs)
        if span is None:
            return fn(*args, **kwargs)
        with trace.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                end(span, exc=exc)
                raise
        end(span, result)
        return result

    return wrapper


def _decorator(kind: _Kind, hooks: _Hooks, fn: Callable[..., Any] | None, name: str | None,
               extra: Mapping[str, Any]) -> Any:
    def apply(func: Callable[..., Any]) -> Callable[..., Any]:
        title = name or str(getattr(func, "__name__", "function"))
        return _traced(func, lambda: kind.start(title, extra), hooks)

    return apply(fn) if fn is not None else apply


@overload
def workflow(fn: F, *, name: str | None = None) -> F: ...
@overload
def workflow(fn: None = None, *, name: str | None = None) -> Callable[[F], F]: ...
def workflow(fn: F | None = None, *, name: str | None = None) -> Any:
    """Trace a workflow (``invoke_workflow {name}``): the root of a unit of work."""
    return _decorator(WORKFLOW, _Hooks(), fn, name, {})


@overload
def agent(fn: F, *, name: str | None = None, agent_id: str | None = None) -> F: ...
@overload
def agent(fn: None = None, *, name: str | None = None, agent_id: str | None = None) -> Callable[[F], F]: ...
def agent(fn: F | None = None, *, name: str | None = None, agent_id: str | None = None) -> Any:
    """Trace an agent step (``invoke_agent {name}``)."""
    extra = {attrs.GEN_AI_AGENT_ID: agent_id} if agent_id else {}
    return _decorator(AGENT, _Hooks(), fn, name, extra)


@overload
def tool(fn: F, *, name: str | None = None, description: str | None = None) -> F: ...
@overload
def tool(fn: None = None, *, name: str | None = None, description: str | None = None) -> Callable[[F], F]: ...
def tool(fn: F | None = None, *, name: str | None = None, description: str | None = None) -> Any:
    """Trace a tool execution (``execute_tool {name}``); a ``tool_call_id=`` keyword is recorded."""
    extra: dict[str, Any] = {attrs.GEN_AI_TOOL_TYPE: "function"}
    if description:
        extra[attrs.GEN_AI_TOOL_DESCRIPTION] = description
    return _decorator(TOOL, _ToolHooks(), fn, name, extra)


@overload
def retrieval(fn: F, *, name: str | None = None) -> F: ...
@overload
def retrieval(fn: None = None, *, name: str | None = None) -> Callable[[F], F]: ...
def retrieval(fn: F | None = None, *, name: str | None = None) -> Any:
    """Trace a retrieval; the returned documents' ids and scores go on the span."""
    return _decorator(RETRIEVAL, _RetrievalHooks(), fn, name, {})


@overload
def llm_call(fn: F, *, provider: str, model: str | None = None, feature: str | None = None,
             operation: str = attrs.OP_CHAT) -> F: ...
@overload
def llm_call(fn: None = None, *, provider: str, model: str | None = None, feature: str | None = None,
             operation: str = attrs.OP_CHAT) -> Callable[[F], F]: ...
def llm_call(fn: F | None = None, *, provider: str, model: str | None = None, feature: str | None = None,
             operation: str = attrs.OP_CHAT) -> Any:
    """Trace a call to a client genlens does not wrap; usage/cost are read from the return value."""

    def apply(func: Callable[..., Any]) -> Callable[..., Any]:
        is_async = inspect.iscoroutinefunction(func)

        def start(kwargs: dict[str, Any]) -> LLMCall | None:
            try:
                chosen = model or (kwargs.get("model") if isinstance(kwargs.get("model"), str) else None)
                if feature is None:
                    return LLMCall(Request(provider, operation, chosen))
                with app_context._with_attributes({attrs.APP_FEATURE: feature}):
                    return LLMCall(Request(provider, operation, chosen))
            except Exception as exc:
                _safety.report("llm_call start", exc)
                return None

        def finish(call: LLMCall, result: Any) -> None:
            call.finish(lambda: read_any_response(result))  # read when the span is finished

        if is_async:
            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                call = start(kwargs)
                if call is None:
                    return await func(*args, **kwargs)
                with trace.use_span(call.span, end_on_exit=False, record_exception=False,
                                    set_status_on_exception=False):
                    try:
                        result = await func(*args, **kwargs)
                    except BaseException as exc:
                        call.fail(exc)
                        raise
                finish(call, result)
                return result

            return async_wrapper

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            call = start(kwargs)
            if call is None:
                return func(*args, **kwargs)
            with trace.use_span(call.span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
                try:
                    result = func(*args, **kwargs)
                except BaseException as exc:
                    call.fail(exc)
                    raise
            finish(call, result)
            return result

        return wrapper

    return apply(fn) if fn is not None else apply


@contextmanager
def span(name: str, **attributes: Any) -> Iterator[Span]:
    """A plain span around a block, current inside it, with the application context applied."""
    current = OTHER.start(name, {k: v for k, v in attributes.items() if v is not None})
    with trace.use_span(current, end_on_exit=False, record_exception=False, set_status_on_exception=False):
        try:
            yield current
        except BaseException as exc:
            _fail(current, exc)
            current.end()
            raise
    current.end()
