"""The provider-agnostic core: one :class:`LLMCall` per LLM or embedding request.

A provider module reads its request into a :class:`Request` and its response
(or accumulated stream) into a :class:`Result`; everything else — the span,
its GenAI and ``app.llm.*`` attributes, tool-call child spans, streaming
latency, cost, budgets, content capture and metrics — happens here, once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from genlens.sdk import _safety, context, state
from genlens.sdk.cost import Usage, price_usd
from genlens.sdk.metrics import CallRecord
from genlens.semconv import attrs

MAX_GAPS = 4096
MAX_TOOL_CALL_SPANS = 128


@dataclass
class Request:
    """What a provider module read from the call's arguments."""

    provider: str
    operation: str
    model: str | None
    # Request parameters as attributes; a callable is read when the span is finished (maybe off-thread)
    attributes: dict[str, Any] | Callable[[], dict[str, Any]] = field(default_factory=dict)
    # Built only when this call's content is captured: () -> (input messages, system instructions, tools).
    content: Callable[[], tuple[Any, Any, Any]] | None = None
    prompt_attributes: Mapping[str, str] | None = None


@dataclass
class ToolCall:
    id: str | None
    name: str
    arguments: Any = None


@dataclass
class Result:
    """What a provider module read from the response (or from a whole stream)."""

    response_model: str | None = None
    response_id: str | None = None
    finish_reasons: list[str] = field(default_factory=list)
    usage: Usage | None = None
    # A list, or a callable building it only when this call's content is captured.
    output_messages: list[Any] | Callable[[], list[Any]] | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)


def classify_error(exc: BaseException) -> tuple[str, str, int | None]:
    """(error.type, error class, HTTP status) for an exception the provider SDK raised."""
    status = getattr(exc, "status_code", None)
    if not isinstance(status, int):
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None) if response is not None else None
        status = status if isinstance(status, int) else None
    name = type(exc).__name__
    if "Timeout" in name:
        return "timeout", "timeout", status
    if status == 429:
        return "rate_limited", "api", status
    if status == 529:
        return "overloaded", "api", status
    if status is not None and status >= 500:
        return "server_error", "api", status
    if status in (401, 403):
        return "authentication", "api", status
    if status is not None and status >= 400:
        return "bad_request" if status in (400, 422) else f"http_{status}", "api", status
    if "Connection" in name or "Protocol" in name or name in {"ReadError", "WriteError", "NetworkError"}:
        return "connection", "api", None
    return type(exc).__qualname__, "api", None


class LLMCall:
    """One instrumented request: starts its span on creation, ends it exactly once.

    When genlens's processor is the span's only audience (``state.CURRENT.light``), the
    span is a :class:`~genlens.sdk.lightspan.LightSpan` and this call its
    finisher: the attributes, cost, budgets and metrics are worked out when the
    processor exports it, through :meth:`final_attributes`.  On a TracerProvider
    genlens does not own, the SDK span is finished in place instead.
    """

    __slots__ = ("req", "span", "streaming", "ctx", "t0", "first_token", "last_chunk", "chunks", "gaps",
                 "ended", "content_on", "rt", "deferred", "_result", "_exc", "_cancelled", "_end_ns",
                 "_wall_ns", "_content_snapshot", "_done")

    def __init__(self, req: Request, streaming: bool = False) -> None:
        rt = state.CURRENT
        self.rt = rt
        self.req = req
        self.streaming = streaming
        self.ended = False
        self.first_token: int | None = None
        self.last_chunk: int | None = None
        self.chunks = 0
        self.gaps: list[float] | tuple[()] = ()
        self._content_snapshot: tuple[Any, Any, Any, Any] | None = None
        self._done: dict[str, Any] | None = None
        ctx = context.current()
        if req.prompt_attributes:
            ctx = {**ctx, **req.prompt_attributes}
        self.ctx = ctx
        name = f"{req.operation} {req.model}" if req.model else req.operation
        if rt.light is not None:
            light = rt.light.start(name, SpanKind.CLIENT)
            light.finisher = self
            self.span: Span = light
            self.deferred = True
        else:
            self.span = rt.tracer.start_span(name, kind=SpanKind.CLIENT, attributes=self._start_attributes())
            self.deferred = False
        self.content_on = rt.content.sampled(self.span.get_span_context()) if rt.content.capture else False
        self.t0 = time.perf_counter_ns()

    def _start_attributes(self) -> dict[str, Any]:
        req = self.req
        span_attrs: dict[str, Any] = {
            attrs.GEN_AI_PROVIDER_NAME: req.provider,
            attrs.GEN_AI_OPERATION_NAME: req.operation,
            attrs.APP_STREAMING: self.streaming,
            attrs.APP_SPAN_KIND: "embedding" if req.operation == attrs.OP_EMBEDDINGS else "llm",
        }
        if req.model:
            span_attrs[attrs.GEN_AI_REQUEST_MODEL] = req.model
        params = req.attributes
        span_attrs.update(params() if callable(params) else params)
        span_attrs.update(self.ctx)
        return span_attrs

    # --- streaming -------------------------------------------------------------
    def chunk(self, has_output: bool) -> None:
        """Note one stream chunk; ``has_output`` when it carried generated text or tool arguments."""
        now = time.perf_counter_ns()
        if self.last_chunk is not None and len(self.gaps) < MAX_GAPS:
            if not self.gaps:
                self.gaps = []  # a call that never streams keeps the shared empty tuple
            self.gaps.append((now - self.last_chunk) / 1e9)
        self.last_chunk = now
        self.chunks += 1
        if has_output and self.first_token is None:
            self.first_token = now

    # --- ending ----------------------------------------------------------------
    def finish(self, result: Result | None | Callable[[], Result | None], cancelled: bool = False) -> None:
        """End the span; ``result`` may be a callable that reads the response (then read off-thread)."""
        if self.ended:
            return
        self.ended = True
        try:
            self._end(result, None, cancelled)
        except Exception as exc:
            _safety.report("llm span finish", exc)

    def fail(self, exc: BaseException, result: Result | None = None) -> None:
        if self.ended:
            return
        self.ended = True
        try:
            self._end(result, exc, False)
        except Exception as inner:
            _safety.report("llm span fail", inner)

    def _end(self, result: Result | None | Callable[[], Result | None], exc: BaseException | None,
             cancelled: bool) -> None:
        self._end_ns = time.perf_counter_ns()
        self._wall_ns = time.time_ns()
        self._exc = exc
        self._cancelled = cancelled
        span = self.span
        if exc is not None:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"[:512]))
        if self.deferred:  # a light span: attributes are worked out when it is exported
            if self.content_on:
                # the app owns the message lists and may change them once the call returns: copy now
                result = _read(result)
                self._content_snapshot = self._content_values(result)
            self._result = result
            span.end(self._wall_ns)
            return
        self._result = _read(result)
        span.set_attributes(self._finish_attributes())
        span.end()

    def final_attributes(self) -> dict[str, Any]:
        """Start and end attributes of a light span (see :mod:`genlens.sdk.lightspan`); computed once."""
        if self._done is None:
            self._result = _read(self._result)
            self._done = {**self._start_attributes(), **self._finish_attributes()}
        return self._done

    def _finish_attributes(self) -> dict[str, Any]:
        """The attributes known at the end; records cost, budgets, tool-call spans and metrics once."""
        rt = self.rt
        result: Result | None = self._result  # type: ignore[assignment]
        exc = self._exc
        cancelled = self._cancelled
        total_s = (self._end_ns - self.t0) / 1e9
        out: dict[str, Any] = {attrs.APP_TOTAL_LATENCY_S: total_s}
        usage = result.usage if result is not None else None
        if result is not None:
            if result.response_model:
                out[attrs.GEN_AI_RESPONSE_MODEL] = result.response_model
            if result.response_id:
                out[attrs.GEN_AI_RESPONSE_ID] = result.response_id
            if result.finish_reasons:
                out[attrs.GEN_AI_RESPONSE_FINISH_REASONS] = result.finish_reasons
            out.update(result.attributes)
        cost = None
        exceeded = None
        tokens_total = 0
        if usage is not None:
            out[attrs.GEN_AI_USAGE_INPUT_TOKENS] = usage.input_tokens
            out[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] = usage.output_tokens
            if usage.cache_read_tokens:
                out[attrs.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = usage.cache_read_tokens
            if usage.cache_write_tokens:
                out[attrs.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = usage.cache_write_tokens
            if usage.reasoning_tokens:
                out[attrs.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = usage.reasoning_tokens
            response_model = result.response_model if result is not None else None
            cost = price_usd(self.req.provider, (response_model, self.req.model), usage, self._wall_ns)
            if cost is not None:
                out[attrs.APP_COST_USD] = cost
            tokens_total = usage.input_tokens + usage.output_tokens
            exceeded = rt.budgets.exceeded(self.ctx.get(attrs.APP_FEATURE), tokens_total)
            if exceeded is not None:
                out[attrs.APP_BUDGET_EXCEEDED] = exceeded
            conversation = self.ctx.get(attrs.APP_CONVERSATION_ID)
            if conversation is not None:
                out[attrs.APP_CONVERSATION_CUMULATIVE_TOKENS] = rt.budgets.add_conversation_tokens(
                    conversation, tokens_total)
        ttft = tpot = rate = None
        if self.streaming and self.first_token is not None:
            ttft = (self.first_token - self.t0) / 1e9
            out[attrs.APP_TTFT_S] = ttft
            out[attrs.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = ttft
            output_tokens = usage.output_tokens if usage is not None else 0
            decode_s = ((self.last_chunk or self.first_token) - self.first_token) / 1e9
            if output_tokens > 1 and decode_s > 0:
                tpot = decode_s / (output_tokens - 1)
                rate = (output_tokens - 1) / decode_s
                out[attrs.APP_TPOT_S] = tpot
                out[attrs.APP_DECODE_TOKENS_PER_S] = rate
        if self.content_on:
            snapshot = self._content_snapshot
            out.update(self._encode_content(snapshot if snapshot is not None else self._content_values(result)))
        error_type = None
        if exc is not None:
            error_type, error_class, status = classify_error(exc)
            out[attrs.ERROR_TYPE] = error_type
            out[attrs.APP_ERROR_CLASS] = error_class
            if status is not None:
                out[attrs.HTTP_RESPONSE_STATUS_CODE] = status
        elif cancelled:
            out[attrs.APP_ERROR_CLASS] = "cancelled"
        if result is not None and result.tool_calls:
            self._tool_call_spans(result)
        metrics = rt.metrics
        if metrics is not None:
            req = self.req
            metrics.submit(CallRecord(
                req.provider, req.model, req.operation, self.ctx,
                usage.input_tokens if usage is not None else None,
                usage.output_tokens if usage is not None else 0,
                usage.cache_read_tokens if usage is not None else 0,
                usage.cache_write_tokens if usage is not None else 0,
                cost, exceeded, total_s, ttft, tpot, rate, self.gaps, error_type, cancelled))
        return out

    def _content_values(self, result: Result | None) -> tuple[Any, Any, Any, Any]:
        """(input messages, system instructions, tool definitions, output messages), built fresh.

        Cheap (no redaction, no JSON): a light span takes this snapshot on the caller's thread,
        because the app owns the message lists and may change them once the call returns, and leaves
        the encoding to the export thread.
        """
        inputs, system, tools = self.req.content() if self.req.content is not None else (None, None, None)
        outputs = result.output_messages if result is not None else None
        if callable(outputs):
            outputs = outputs()
        return inputs, system, tools, outputs

    def _encode_content(self, values: tuple[Any, Any, Any, Any]) -> dict[str, Any]:
        """The content attributes: each value redacted (when on), JSON-encoded and cut to size."""
        policy = self.rt.content
        out: dict[str, Any] = {}
        redactions = 0
        keys = (attrs.GEN_AI_INPUT_MESSAGES, attrs.GEN_AI_SYSTEM_INSTRUCTIONS, attrs.GEN_AI_TOOL_DEFINITIONS,
                attrs.GEN_AI_OUTPUT_MESSAGES)
        for key, value in zip(keys, values, strict=True):
            if value is not None:
                out[key], n = policy.encode(value)
                redactions += n
        out[attrs.APP_CONTENT_SAMPLED] = True
        out[attrs.APP_REDACTED] = redactions > 0
        return out

    def _tool_call_spans(self, result: Result) -> None:
        tracer = self.rt.tracer
        parent = trace.set_span_in_context(self.span)
        now = self._wall_ns
        for call in result.tool_calls[:MAX_TOOL_CALL_SPANS]:
            tool_attrs: dict[str, Any] = {
                **self.ctx,  # the request's context (tenant, feature …), as on every other span
                attrs.GEN_AI_TOOL_NAME: call.name,
                attrs.GEN_AI_TOOL_TYPE: "function",
                attrs.APP_SPAN_KIND: "tool_call",
                attrs.APP_TOOL_CALL_REQUESTED: True,
            }
            if call.id:
                tool_attrs[attrs.GEN_AI_TOOL_CALL_ID] = call.id
            if self.content_on and call.arguments is not None:
                tool_attrs[attrs.GEN_AI_TOOL_CALL_ARGUMENTS] = self.rt.content.encode(call.arguments)[0]
            child = tracer.start_span(f"tool_call {call.name}", context=parent, kind=SpanKind.INTERNAL,
                                      attributes=tool_attrs, start_time=now)
            child.end(end_time=now)


def _read(result: Result | None | Callable[[], Result | None]) -> Result | None:
    """A result, reading the response first when given a reader."""
    if not callable(result):
        return result
    try:
        return result()
    except Exception as exc:
        _safety.report("read response", exc)
        return None
