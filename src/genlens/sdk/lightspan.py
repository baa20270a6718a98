"""A cheap recording span for genlens's LLM spans, finished on the export thread.

An LLM span carries some thirty attributes (request, response, usage, cost,
budgets, latency, context).  Through the SDK's ``Span`` each one is validated
on the application's thread, and the span's own bookkeeping (locks, bounded
containers, the copy handed to processors) comes on top: together several
times the cost of the call's useful work.  None of it has to happen before the
call returns.

When genlens's own span processor is the only one on the TracerProvider (the
provider genlens set up itself, see ``setup.OwnedTracerProvider``), an LLM call
records into a :class:`LightSpan` instead: it implements the OTel API ``Span``
(so it can be current, be a parent, and take attributes, events and a status
from anyone), but only stores what it is given.  Its ``end()`` hands it to the
processor (an O(1) append); the processor's worker builds the SDK
``ReadableSpan`` — asking the span's finisher for its attributes, validating
whatever others set through the SDK's ``BoundedAttributes`` — and exports it.
Ids come from the tracer's id generator and the sampling decision from its
sampler, so traces look exactly as if the SDK had made the span.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Mapping
from random import getrandbits
from typing import Any, Protocol

from opentelemetry import trace as trace_api
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.context import Context
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanLimits
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags, TraceState
from opentelemetry.trace.span import DEFAULT_TRACE_STATE
from opentelemetry.util import types

from genlens.sdk import _safety

_FLAGS = {(sampled, random_id): TraceFlags((TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
                                            | (TraceFlags.RANDOM_TRACE_ID if random_id else 0))
          for sampled in (False, True) for random_id in (False, True)}


def _checked_span_context(trace_id: int, span_id: int, flags: TraceFlags, state: TraceState) -> SpanContext:
    return SpanContext(trace_id, span_id, False, flags, state)


def _fast_span_context(trace_id: int, span_id: int, flags: TraceFlags, state: TraceState) -> SpanContext:
    # ids from the generator are always in range (valid); the tuple is what SpanContext.__new__ builds
    return tuple.__new__(SpanContext, (trace_id, span_id, False, flags, state, True))


def _pick_span_context_builder() -> Any:
    """The fast builder when it makes exactly what the API's constructor makes (checked once, here)."""
    try:
        args = (0x5B8AA5A2D2C872E8321CF37308D69DF2, 0x051581BF3CB55C13, _FLAGS[True, True], DEFAULT_TRACE_STATE)
        fast, checked = _fast_span_context(*args), _checked_span_context(*args)
        same = (type(fast) is type(checked) and tuple(fast) == tuple(checked) and fast.is_valid
                and fast.trace_id == checked.trace_id and fast.trace_flags == checked.trace_flags)
        return _fast_span_context if same else _checked_span_context
    except Exception:
        return _checked_span_context


_span_context = _pick_span_context_builder()

_DEFAULT_SAMPLER: str = ParentBased(ALWAYS_ON).get_description()  # type: ignore[no-untyped-call]


class Finisher(Protocol):
    def final_attributes(self) -> Mapping[str, Any]:
        """The attributes its owner works out at export time (computed once; may record metrics)."""


class Sink(Protocol):
    """Where an ended :class:`LightSpan` goes: genlens's span processor."""

    def submit(self, span: LightSpan) -> None: ...


class LightSpanFactory:
    """What every light span of one tracer shares: its tracer's ids, sampler, resource, scope and limits."""

    def __init__(self, tracer: Any, sink: Sink, scope: InstrumentationScope,
                 background: Callable[[Callable[[], object]], bool] | None = None) -> None:
        self.sampler = tracer.sampler
        self.id_generator = tracer.id_generator
        self.resource = tracer.resource
        self.scope = getattr(tracer, "_instrumentation_scope", None) or scope
        self.limits = SpanLimits()
        self.sink = sink
        self.background = background  # where spans the sink has no room for are finished (metrics thread)
        # The SDK's default id generator is random.getrandbits; call it directly then (same ids).
        self.random_ids = type(self.id_generator) is RandomIdGenerator
        # The SDK's default sampler decides from the parent alone; spare the call then (same outcome).
        self.parent_only = self.sampler.get_description() == _DEFAULT_SAMPLER

    def start(self, name: str, kind: SpanKind = SpanKind.INTERNAL, context: Context | None = None) -> LightSpan:
        parent: SpanContext | None = trace_api.get_current_span(context).get_span_context()
        ids = self.id_generator
        fast_ids = self.random_ids
        if parent is None or not parent.is_valid:
            parent = None
            trace_id = (getrandbits(128) or ids.generate_trace_id()) if fast_ids else ids.generate_trace_id()
            random_id = fast_ids or ids.is_trace_id_random()
        else:
            trace_id = parent.trace_id
            random_id = parent.trace_flags.random_trace_id
        if self.parent_only:
            recording = sampled = parent is None or parent.trace_flags.sampled
            trace_state = parent.trace_state if parent is not None else None
            sampler_attributes = None
        else:
            decision = self.sampler.should_sample(context, trace_id, name, kind, None, ())
            recording, sampled = decision.decision.is_recording(), decision.decision.is_sampled()
            trace_state, sampler_attributes = decision.trace_state, decision.attributes
        span_id = (getrandbits(64) or ids.generate_span_id()) if fast_ids else ids.generate_span_id()
        # the direct build assumes valid ids: true of the random generator, not promised by others
        build = _span_context if fast_ids else _checked_span_context
        span_context = build(trace_id, span_id, _FLAGS[bool(sampled), bool(random_id)],
                             trace_state if trace_state is not None else DEFAULT_TRACE_STATE)
        return LightSpan(self, name, span_context, parent, kind, recording, sampler_attributes)


class LightSpan(trace_api.Span):
    """Stores what it is given; :meth:`readable` (on the export thread) turns it into a ``ReadableSpan``."""

    __slots__ = ("_factory", "_name", "_context", "_parent", "_kind", "_recording", "_start", "_end",
                 "_attributes", "_events", "_links", "_status", "finisher")

    def __init__(self, factory: LightSpanFactory, name: str, context: SpanContext, parent: SpanContext | None,
                 kind: SpanKind, recording: bool, sampler_attributes: types.Attributes = None) -> None:
        self._factory = factory
        self._name = name
        self._context = context
        self._parent = parent
        self._kind = kind
        self._recording = recording
        self._attributes: dict[str, Any] = dict(sampler_attributes) if sampler_attributes else {}
        self._events: list[tuple[str, Any, int, types.Attributes]] = []
        self._links: list[Link] = []
        self._status = Status(StatusCode.UNSET)
        self._end: int | None = None
        self.finisher: Finisher | None = None
        self._start = time.time_ns()

    # --- the OTel API Span ---------------------------------------------------------
    def get_span_context(self) -> SpanContext:
        return self._context

    def is_recording(self) -> bool:
        return self._recording and self._end is None

    def set_attribute(self, key: str, value: types.AttributeValue) -> None:
        if self.is_recording():
            self._attributes[key] = value

    def set_attributes(self, attributes: Mapping[str, types.AttributeValue]) -> None:
        if self.is_recording():
            self._attributes.update(attributes)

    def add_event(self, name: str, attributes: types.Attributes = None, timestamp: int | None = None) -> None:
        if self.is_recording():
            self._events.append((name, None, timestamp or time.time_ns(), attributes))

    def add_link(self, context: SpanContext, attributes: types.Attributes = None) -> None:
        if self.is_recording() and context is not None and context.is_valid:
            self._links.append(Link(context, attributes))

    def update_name(self, name: str) -> None:
        if self.is_recording():
            self._name = name

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        if not self.is_recording():
            return
        if isinstance(status, Status):
            self._status = status
        else:
            self._status = Status(status, description)

    def record_exception(self, exception: BaseException, attributes: types.Attributes = None,
                         timestamp: int | None = None, escaped: bool = False) -> None:
        # the traceback is formatted on the export thread; the exception keeps it alive till then
        if self.is_recording():
            self._events.append(("exception", (exception, escaped), timestamp or time.time_ns(), attributes))

    def end(self, end_time: int | None = None) -> None:
        if self._end is not None:
            return
        self._end = end_time if end_time is not None else time.time_ns()
        self._factory.sink.submit(self)

    # --- on the export thread ---------------------------------------------------------
    @property
    def sampled(self) -> bool:
        return self._context.trace_flags.sampled

    def readable(self) -> ReadableSpan | None:
        """The span as the SDK's exporters expect it; None when it is not to be exported.

        The finisher runs either way, so a call that is not sampled still counts in metrics.
        """
        ours: Mapping[str, Any] = {}
        if self.finisher is not None:
            try:
                ours = self.finisher.final_attributes()
            except Exception as exc:
                _safety.report("finish llm span", exc)  # re-raises in strict mode; callers on a worker catch
        if not (self._recording and self.sampled):
            return None
        limits = self._factory.limits
        attributes: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in ours.items()}
        if self._attributes:  # set by others: validated like the SDK's own spans
            attributes.update(BoundedAttributes(limits.max_span_attributes, self._attributes, immutable=True,
                                                max_value_len=limits.max_span_attribute_length))
        return ReadableSpan(
            name=self._name,
            context=self._context,
            parent=self._parent,
            resource=self._factory.resource,
            attributes=attributes,
            events=tuple(self._event(e) for e in self._events[: limits.max_events or None]),
            links=tuple(self._links[: limits.max_links or None]),
            kind=self._kind,
            status=self._status,
            start_time=self._start,
            end_time=self._end,
            instrumentation_scope=self._factory.scope,
        )

    def _event(self, event: tuple[str, Any, int, types.Attributes]) -> Event:
        name, exception, timestamp, extra = event
        values: dict[str, Any] = {}
        if exception is not None:
            exc, escaped = exception
            module = type(exc).__module__
            qualname = type(exc).__qualname__
            values = {
                "exception.type": f"{module}.{qualname}" if module and module != "builtins" else qualname,
                "exception.message": str(exc),
                "exception.stacktrace": "".join(traceback.format_exception(exc)),
                "exception.escaped": str(escaped),
            }
        if extra:
            values.update(extra)
        limits = self._factory.limits
        return Event(name, BoundedAttributes(limits.max_event_attributes, values, immutable=True,
                                             max_value_len=limits.max_attribute_length), timestamp)


def finish_dropped(span: LightSpan) -> None:
    """A span that will not be exported still counts (metrics, budgets), finished off the caller's thread."""
    background = span._factory.background
    if background is not None:
        background(lambda: readable_or_none(span))  # False when that queue is full too: dropped, counted


def readable_or_none(span: LightSpan) -> ReadableSpan | None:
    """``span.readable()`` that never raises (for export workers, which must go on)."""
    try:
        return span.readable()
    except Exception as exc:
        try:
            _safety.report("export llm span", exc)
        except Exception:  # strict mode re-raises; the worker goes on regardless
            pass
        return None
