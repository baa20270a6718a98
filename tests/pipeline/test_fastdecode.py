"""The native OTLP trace decoder against the reference: protobuf's parser (upb) + decode_spans.

Every check decodes the same bytes both ways: the native result must equal the
reference field by field (types, float bits and dict order included), and the
native decoder must refuse a body exactly when upb raises DecodeError.  Bodies
come from the protobuf classes (random requests), from a test-side encoder that
writes fields in random order with unknown fields, duplicates and groups mixed in,
and from mutations (bit flips, truncations, random bytes) of valid bodies.
"""

from __future__ import annotations

import os
import random
import struct
import sys
import time
from typing import Any

import pytest
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError, Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import (
    AnyValue,
    ArrayValue,
    InstrumentationScope,
    KeyValue,
    KeyValueList,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from bench.workload import batches
from genlens.errors import BadRequest
from genlens.pipeline import fastdecode
from genlens.pipeline.decode import MAX_LINKS, MIN_TIME_NS, ValueDecoder, decode_spans
from genlens.pipeline.fastdecode import AVAILABLE, decode_trace_bytes, decode_upb


def test_the_native_decoder_is_built() -> None:
    """The extension is optional for a user without a compiler, never for the tests: they compare it with upb."""
    assert AVAILABLE, "the native decoder is not built: run scripts/setup.sh test"
# GENLENS_FUZZ_SCALE=20 runs a twenty times longer campaign (the default keeps the suite fast).
SCALE = float(os.environ.get("GENLENS_FUZZ_SCALE", "1"))
FUZZ = settings(max_examples=int(1500 * SCALE), derandomize=SCALE == 1, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
RANDOM_REQUESTS = settings(FUZZ, max_examples=int(200 * SCALE))
NOW = time.time_ns()
HOUR = 3600 * 10**9


# ---------------------------------------------------------------- comparison


def canon(v: Any) -> Any:
    """A form where equal means identical: bool is not int, floats compare by their bits, dicts keep order."""
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, int):
        return ("int", v)
    if isinstance(v, float):
        return ("float", struct.pack("<d", v))
    if isinstance(v, str):
        return ("str", v)
    if isinstance(v, list):
        return ("list", [canon(x) for x in v])
    if isinstance(v, dict):
        return ("dict", [(canon(k), canon(x)) for k, x in v.items()])
    assert v is None, f"unexpected value type {type(v)}"
    return ("none",)


def snapshot(spans: list[Any]) -> list[Any]:
    out = []
    for s in spans:
        events = [(canon(e.name), canon(e.time_ns), canon(e.attributes)) for e in s.events]
        links = [(canon(k.trace_id), canon(k.span_id), canon(k.trace_state), canon(k.attributes), type(k).__name__)
                 for k in s.links]
        fields = (s.trace_id, s.span_id, s.parent_span_id, s.name, s.otel_kind, s.start_ns, s.end_ns,
                  s.status_code, s.status_message, s.attributes, s.resource, s.scope_name, s.dropped_links)
        out.append(([canon(f) for f in fields], events, links, type(s).__name__, type(s.events).__name__,
                    type(s.links).__name__))
    return out


def resource_groups(spans: list[Any]) -> list[int]:
    """Which spans share one resource dict object (first index of the span owning it)."""
    first: dict[int, int] = {}
    return [first.setdefault(id(s.resource), i) for i, s in enumerate(spans)]


def reference(body: bytes, max_chars: int) -> Any:
    try:
        request = ExportTraceServiceRequest.FromString(body)
    except DecodeError:
        return None
    return decode_spans(request, ValueDecoder(max_chars))


def check(body: bytes, max_chars: int = 64, *, expect_native: bool = True) -> Any:
    """Decode both ways and insist on the same answer; returns the reference result (None if refused)."""
    ref = reference(body, max_chars)
    if ref is None:
        with pytest.raises(BadRequest):
            decode_trace_bytes(body, max_chars)
        if expect_native and AVAILABLE:
            with pytest.raises(ValueError):  # _fastotlp.DecodeError, not a fall back to upb
                raw_native(body, max_chars)
        return None
    spans, rejected = decode_trace_bytes(body, max_chars)
    assert snapshot(spans) == snapshot(ref[0])
    assert rejected == ref[1]
    assert resource_groups(spans) == resource_groups(ref[0])
    if expect_native and AVAILABLE:
        assert raw_native(body, max_chars) is not None, "native decoder fell back to upb"
    return ref


def raw_native(body: bytes, max_chars: int) -> Any:
    from genlens.pipeline import _fastotlp

    return _fastotlp.decode(body, max_chars, MIN_TIME_NS, NOW + 24 * HOUR, 31 * 24 * HOUR, MAX_LINKS,
                            fastdecode.RawSpan, fastdecode._SPAN_SLOTS, fastdecode.RawEvent,
                            fastdecode._EVENT_SLOTS, fastdecode.RawLink, fastdecode._LINK_SLOTS)


# ---------------------------------------------------------------- wire helpers


def varint(v: int) -> bytes:
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b, v = v & 0x7F, v >> 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def tag(number: int, wire: int) -> bytes:
    return varint(number << 3 | wire)


def ld(number: int, payload: bytes) -> bytes:
    return tag(number, 2) + varint(len(payload)) + payload


def wire_type(fd: FieldDescriptor) -> int:
    if fd.type in (fd.TYPE_MESSAGE, fd.TYPE_STRING, fd.TYPE_BYTES):
        return 2
    if fd.type in (fd.TYPE_DOUBLE, fd.TYPE_FIXED64, fd.TYPE_SFIXED64):
        return 1
    if fd.type in (fd.TYPE_FLOAT, fd.TYPE_FIXED32, fd.TYPE_SFIXED32):
        return 5
    return 0


def noise(r: random.Random, known: dict[int, FieldDescriptor], depth: int = 0) -> bytes:
    """One field upb skips: an unknown number, or a known number with the wrong wire type."""
    if known and r.random() < 0.4:
        fd = r.choice(list(known.values()))
        number, wire = fd.number, r.choice([w for w in (0, 1, 2, 3, 5) if w != wire_type(fd)])
    else:
        number, wire = r.choice([17, 18, 31, 99, 1000, 2**29 - 1]), r.choice([0, 1, 2, 3, 5])
    if wire == 3 and depth > 3:
        wire = 0
    if wire == 0:
        return tag(number, 0) + varint(r.getrandbits(r.choice([1, 7, 35, 64])))
    if wire == 1:
        return tag(number, 1) + r.randbytes(8)
    if wire == 5:
        return tag(number, 5) + r.randbytes(4)
    if wire == 2:  # unknown bytes need not be UTF-8
        return ld(number, r.randbytes(r.randint(0, 6)))
    inner = b"".join(noise(r, {}, depth + 1) for _ in range(r.randint(0, 2)))
    return tag(number, 3) + inner + tag(number, 4)


def decoy(fd: FieldDescriptor, r: random.Random) -> bytes | None:
    """An earlier occurrence of a singular scalar field, which the real one (last) overrides."""
    if fd.type == fd.TYPE_STRING:
        return ld(fd.number, r.choice(["decoy", "", "é"]).encode())
    if fd.type == fd.TYPE_BYTES:
        return ld(fd.number, r.randbytes(r.choice([0, 8, 16])))
    if wire_type(fd) == 0:
        return tag(fd.number, 0) + varint(r.getrandbits(64))
    if wire_type(fd) == 1:
        return tag(fd.number, 1) + r.randbytes(8)
    if wire_type(fd) == 5:
        return tag(fd.number, 5) + r.randbytes(4)
    return None


def encode(msg: Message, r: random.Random) -> bytes:
    """Serialize with fields in random order, unknown fields and overridden duplicates mixed in."""
    known = {fd.number: fd for fd in msg.DESCRIPTOR.fields}
    chunks: list[bytes] = []
    for fd, value in msg.ListFields():
        for item in value if fd.is_repeated else [value]:
            if fd.message_type is not None:
                chunks.append(ld(fd.number, encode(item, r)))
            else:
                one = type(msg)()
                if fd.is_repeated:
                    getattr(one, fd.name).append(item)
                else:
                    setattr(one, fd.name, item)
                chunks.append(one.SerializeToString())
    r.shuffle(chunks)
    for fd, _ in msg.ListFields():
        if fd.is_repeated or fd.message_type is not None or r.random() > 0.3:
            continue
        extra = decoy(fd, r)
        real = next(i for i, c in enumerate(chunks) if c.startswith(tag(fd.number, wire_type(fd))))
        if extra is not None:
            chunks.insert(r.randint(0, real), extra)
    for _ in range(r.choice([0, 0, 1, 2])):
        chunks.insert(r.randint(0, len(chunks)), noise(r, known))
    return b"".join(chunks)


# ---------------------------------------------------------------- random requests

texts = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "é", "日本語のテキスト", "🙂🙂🙂", "a\x00b", "tab\tnew\nline", "\u2028"]),
    st.text(min_size=40, max_size=200),
)
keys = st.one_of(st.sampled_from(["k", "gen_ai.request.model", "x", "ü", ""]), st.text(max_size=8))
scalars = st.one_of(
    texts.map(lambda s: AnyValue(string_value=s)),
    st.booleans().map(lambda b: AnyValue(bool_value=b)),
    st.integers(-(2**63), 2**63 - 1).map(lambda i: AnyValue(int_value=i)),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda f: AnyValue(double_value=f)),
    st.binary(max_size=40).map(lambda b: AnyValue(bytes_value=b)),
    st.just(AnyValue()),
    st.integers(-3, 3).map(lambda i: AnyValue(string_value_strindex=i)),
)


def _kv(key: str, value: AnyValue | None) -> KeyValue:
    return KeyValue(key=key) if value is None else KeyValue(key=key, value=value)


def _containers(children: Any) -> Any:
    pairs = st.lists(st.tuples(keys, st.one_of(st.none(), children)), max_size=4)
    return st.one_of(
        st.lists(children, max_size=4).map(lambda xs: AnyValue(array_value=ArrayValue(values=xs))),
        pairs.map(lambda ps: AnyValue(kvlist_value=KeyValueList(values=[_kv(k, v) for k, v in ps]))),
    )


any_values = st.recursive(scalars, _containers, max_leaves=10)
attributes = st.lists(st.tuples(keys, st.one_of(st.none(), any_values)), max_size=6).map(
    lambda ps: [_kv(k, v) for k, v in ps])

valid_start = st.integers(NOW - 20 * HOUR, NOW - HOUR)
starts = st.one_of(valid_start, valid_start, st.sampled_from([0, 1, MIN_TIME_NS - 1, MIN_TIME_NS + 10**9]),
                   st.integers(NOW + 48 * HOUR, 2**63))
durations = st.one_of(st.integers(0, 10 * HOUR), st.sampled_from([-1, 32 * 24 * HOUR]))
ids16 = st.one_of(st.binary(min_size=16, max_size=16), st.binary(min_size=16, max_size=16),
                  st.just(bytes(16)), st.binary(max_size=17))
ids8 = st.one_of(st.binary(min_size=8, max_size=8), st.binary(min_size=8, max_size=8),
                 st.just(bytes(8)), st.binary(max_size=9))


@st.composite
def spans(draw: Any) -> Span:
    start = draw(starts)
    span = Span(trace_id=draw(ids16), span_id=draw(ids8), parent_span_id=draw(st.one_of(st.just(b""), ids8)),
                name=draw(texts), kind=draw(st.integers(-(2**31), 2**31 - 1)), start_time_unix_nano=start,
                end_time_unix_nano=max(0, min(2**64 - 1, start + draw(durations))),
                attributes=draw(attributes), trace_state=draw(st.sampled_from(["", "a=b"])),
                flags=draw(st.integers(0, 2**32 - 1)), dropped_attributes_count=draw(st.integers(0, 2**32 - 1)),
                dropped_links_count=draw(st.sampled_from([0, 0, 1, 2**32 - 1])))
    if draw(st.booleans()):
        span.status.CopyFrom(Status(code=draw(st.integers(-(2**31), 2**31 - 1)), message=draw(texts)))
    for _ in range(draw(st.integers(0, 2))):
        span.events.add(time_unix_nano=draw(st.integers(0, 2**64 - 1)), name=draw(texts),
                        attributes=draw(attributes))
    for _ in range(draw(st.integers(0, 3))):
        span.links.add(trace_id=draw(ids16), span_id=draw(ids8), trace_state=draw(texts),
                       attributes=draw(attributes), flags=draw(st.integers(0, 2**32 - 1)))
    return span


@st.composite
def requests(draw: Any) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    for _ in range(draw(st.integers(0, 3))):
        rs = ResourceSpans(schema_url=draw(st.sampled_from(["", "https://opentelemetry.io/schemas/1.30"])))
        if draw(st.booleans()):
            rs.resource.CopyFrom(Resource(attributes=draw(attributes)))
            if draw(st.booleans()):
                rs.resource.entity_refs.add(type="service", id_keys=["service.name"])
        for _ in range(draw(st.integers(0, 3))):
            ss = ScopeSpans(spans=draw(st.lists(spans(), max_size=3)))
            if draw(st.booleans()):
                ss.scope.CopyFrom(InstrumentationScope(name=draw(texts), version=draw(texts),
                                                       attributes=draw(attributes)))
            rs.scope_spans.append(ss)
        request.resource_spans.append(rs)
    return request


max_chars_values = st.sampled_from([0, 1, 3, 8, 64, 10_000])


@RANDOM_REQUESTS
@given(requests(), max_chars_values)
def test_random_requests_decode_like_upb(request: ExportTraceServiceRequest, max_chars: int) -> None:
    check(request.SerializeToString(), max_chars)


@RANDOM_REQUESTS
@given(requests(), max_chars_values, st.integers(0, 2**32))
def test_fields_in_any_order_with_unknown_fields_and_duplicates(request: ExportTraceServiceRequest,
                                                                max_chars: int, seed: int) -> None:
    body = encode(request, random.Random(seed))
    assert reference(body, max_chars) is not None
    check(body, max_chars)


# ---------------------------------------------------------------- fuzzing: hostile bytes

SMALL_BODIES = [b for b in (batches(1, batch_size=4, seed=s)[0] for s in range(3))]


def _sample_body(seed: int) -> bytes:
    r = random.Random(seed)
    request = ExportTraceServiceRequest.FromString(r.choice(SMALL_BODIES))
    span = request.resource_spans[0].scope_spans[0].spans[0]
    span.events.add(time_unix_nano=5, name="ev", attributes=[_kv("nested", AnyValue(
        kvlist_value=KeyValueList(values=[_kv("a", AnyValue(array_value=ArrayValue(values=[
            AnyValue(bytes_value=b"\x00\xff"), AnyValue(double_value=1.5)])))])))])
    span.status.message = "boom"
    span.links.add(trace_id=b"\x07" * 16, span_id=b"\x08" * 8, trace_state="k=v",
                   attributes=[_kv("link.kind", AnyValue(string_value="follows"))])
    return encode(request, r) if r.random() < 0.5 else request.SerializeToString()


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_never_crash(body: bytes) -> None:
    check(body, expect_native=False)


@FUZZ
@given(st.integers(0, 2**32), st.lists(st.integers(0, 10**6), min_size=1, max_size=4))
def test_bit_flips_of_valid_bodies(seed: int, positions: list[int]) -> None:
    body = bytearray(_sample_body(seed))
    for p in positions:
        body[p % len(body)] ^= 1 << (p // len(body) % 8)
    check(bytes(body), 16, expect_native=False)


@FUZZ
@given(st.integers(0, 2**32), st.integers(0, 10**6))
def test_truncations_of_valid_bodies(seed: int, cut: int) -> None:
    body = _sample_body(seed)
    check(body[: cut % (len(body) + 1)], 16, expect_native=False)


def test_seeded_mutation_sweep() -> None:
    """Thousands more mutations (flips, byte overwrites, splices, cuts), deterministically seeded."""
    r = random.Random(1234)
    refused = 0
    for i in range(int(4000 * SCALE)):
        body = bytearray(_sample_body(i))
        op = i % 4
        if op == 0:
            body[r.randrange(len(body))] = r.randrange(256)
        elif op == 1:
            at = r.randrange(len(body))
            body[at:at] = r.randbytes(r.randint(1, 6))
        elif op == 2:
            at = r.randrange(len(body))
            del body[at: at + r.randint(1, 8)]
        else:
            body[r.randrange(len(body))] ^= 0x80
        refused += check(bytes(body), 16, expect_native=False) is None
    assert 0 < refused < int(4000 * SCALE)  # both outcomes were exercised


# ---------------------------------------------------------------- specific behaviour


def one_span_request(**fields: Any) -> ExportTraceServiceRequest:
    defaults = {"trace_id": b"\x01" * 16, "span_id": b"\x02" * 8, "name": "op",
                "start_time_unix_nano": NOW - HOUR, "end_time_unix_nano": NOW - HOUR + 10**9}
    span = Span(**{**defaults, **fields})
    return ExportTraceServiceRequest(resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=[span])])])


def with_span_bytes(extra: bytes) -> bytes:
    """A valid one-span request whose span carries ``extra`` raw field bytes at its end."""
    span = one_span_request().resource_spans[0].scope_spans[0].spans[0].SerializeToString() + extra
    return ld(1, ld(2, ld(2, span)))


def nested_value(levels: int) -> AnyValue:
    value = AnyValue(string_value="leaf")
    for _ in range(levels):
        value = AnyValue(array_value=ArrayValue(values=[value]))
    return value


def test_workload_batches_match_upb_exactly() -> None:
    for body in batches(3):
        ref = check(body, 32768)
        assert len(ref[0]) == 512 and ref[1].count == 0


def test_values_and_truncation_markers() -> None:
    long = "é" * 30 + "x"
    request = one_span_request(name="n" * 12, attributes=[
        _kv("s", AnyValue(string_value=long)), _kv("b", AnyValue(bytes_value=bytes(range(40)))),
        _kv("i", AnyValue(int_value=-(2**63))), _kv("f", AnyValue(double_value=-0.0)),
        _kv("t", AnyValue(bool_value=True)), _kv("none", None), _kv("strindex", AnyValue(string_value_strindex=3)),
        _kv("k" * 40, AnyValue(string_value="short"))], status=Status(code=2, message="m" * 11))
    request.resource_spans[0].scope_spans[0].spans[0].events.add(name="e" * 50, time_unix_nano=7)
    ref = check(request.SerializeToString(), 10)
    span = ref[0][0]
    assert span.name == "nnnnnnnnnn…[truncated 2 chars]"
    assert span.status_message == "mmmmmmmmmm…[truncated 1 chars]"
    assert span.attributes["s"] == "é" * 10 + "…[truncated 21 chars]"
    assert span.attributes["b"] == "AAECAwQFBg…[truncated 46 chars]"  # base64 is cut like any string
    assert span.attributes["i"] == -(2**63) and span.attributes["none"] is None
    assert span.attributes["strindex"] is None and span.attributes["k" * 40] == "short"  # keys are never cut
    assert span.events[0].name == "e" * 50  # event names are not cut either


@pytest.mark.parametrize("levels", [14, 15, 16, 17, 30])
def test_value_nesting_marker(levels: int) -> None:
    kvlist = AnyValue(kvlist_value=KeyValueList(values=[_kv("inner", nested_value(levels)), _kv("unset", None),
                                                        _kv("strindex", AnyValue(string_value_strindex=1))]))
    request = one_span_request(attributes=[_kv("deep", nested_value(levels)), _kv("kv", kvlist),
                                           _kv("bytes", AnyValue(array_value=ArrayValue(values=[
                                               nested_value(levels - 2), AnyValue(bytes_value=b"x")])))])
    check(request.SerializeToString())


def nested_bytes(arrays: int, groups: int = 0) -> bytes:
    """An AnyValue holding ``arrays`` nested arrays (two message levels each), ``groups`` unknown groups inside."""
    value = ld(1, b"leaf")
    for _ in range(groups):
        value = tag(20, 3) + value + tag(20, 4)
    for _ in range(arrays):
        value = ld(5, ld(1, value))
    return value


@pytest.mark.parametrize("depth", [97, 98, 99, 100, 101, 102, 150])
def test_upb_depth_limit_is_matched(depth: int) -> None:
    # request > resource_spans > scope_spans > span > key_value > any_value: the value is 5 levels down
    arrays = (depth - 5) // 2
    for groups in ((depth - 5) % 2, (depth - 5) % 2 + 2):
        body = with_span_bytes(ld(9, ld(1, b"deep") + ld(2, nested_bytes(arrays - groups // 2, groups))))
        assert (reference(body, 64) is None) == (depth > 100)
        check(body)


def test_deeply_nested_groups_are_bounded() -> None:
    for n in (10, 96, 97, 98, 99, 100, 5000):
        body = with_span_bytes(tag(30, 3) * n + tag(30, 4) * n)
        check(body)


STRING_FIELDS = {
    "span name": lambda s: with_span_bytes(ld(5, s)),
    "trace_state": lambda s: with_span_bytes(ld(3, s)),
    "status message": lambda s: with_span_bytes(ld(15, ld(2, s))),
    "attribute key": lambda s: with_span_bytes(ld(9, ld(1, s))),
    "string value": lambda s: with_span_bytes(ld(9, ld(1, b"k") + ld(2, ld(1, s)))),
    "overridden string value": lambda s: with_span_bytes(ld(9, ld(2, ld(1, s) + tag(3, 0) + b"\x05"))),
    "string in array": lambda s: with_span_bytes(ld(9, ld(2, ld(5, ld(1, ld(1, s)))))),
    "key in kvlist": lambda s: with_span_bytes(ld(9, ld(2, ld(6, ld(1, ld(1, s)))))),
    "event name": lambda s: with_span_bytes(ld(11, ld(2, s))),
    "link trace_state": lambda s: with_span_bytes(ld(13, ld(3, s))),
    "link attribute": lambda s: with_span_bytes(ld(13, ld(4, ld(2, ld(1, s))))),
    "link attribute of a kept link": lambda s: with_span_bytes(ld(13, ld(1, b"\x03" * 16) + ld(2, b"\x04" * 8)
                                                                  + ld(4, ld(1, b"k") + ld(2, ld(1, s))))),
    "trace_state of a kept link": lambda s: with_span_bytes(ld(13, ld(1, b"\x03" * 16) + ld(2, b"\x04" * 8)
                                                               + ld(3, s))),
    "overridden link trace_state": lambda s: with_span_bytes(ld(13, ld(3, s) + ld(3, b"ok"))),
    "link past the cap": lambda s: with_span_bytes(
        ld(13, ld(1, b"\x03" * 16) + ld(2, b"\x04" * 8)) * MAX_LINKS + ld(13, ld(4, ld(1, s)))),
    "scope name": lambda s: ld(1, ld(2, ld(1, ld(1, s)))),
    "scope version": lambda s: ld(1, ld(2, ld(1, ld(2, s)))),
    "scope schema_url": lambda s: ld(1, ld(2, ld(3, s))),
    "resource attribute": lambda s: ld(1, ld(1, ld(1, ld(2, ld(1, s))))),
    "entity ref id key": lambda s: ld(1, ld(1, ld(3, ld(3, s)))),
    "deep overridden array": lambda s: with_span_bytes(ld(9, ld(2, ld(5, ld(1, ld(1, s))) + ld(1, b"ok")))),
}
BAD_UTF8 = [b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"abc\xe2\x82", b"\x80"]


@pytest.mark.parametrize("where", sorted(STRING_FIELDS))
def test_invalid_utf8_is_refused_where_upb_refuses_it(where: str) -> None:
    for bad in BAD_UTF8:
        body = STRING_FIELDS[where](bad)
        assert reference(body, 64) is None
        with pytest.raises(BadRequest, match="ExportTraceServiceRequest"):
            decode_trace_bytes(body, 64)
    check(STRING_FIELDS[where]("ok ✓".encode()))


def test_invalid_utf8_in_bytes_and_unknown_fields_is_fine() -> None:
    for body in (with_span_bytes(ld(1, b"\xff" * 16)), with_span_bytes(ld(40, b"\xff")),
                 with_span_bytes(ld(9, ld(2, ld(7, b"\xff\xfe")))), with_span_bytes(ld(9, ld(2, ld(30, b"\xff"))))):
        check(body)


WIRE_CASES = {
    "10-byte varint": tag(6, 0) + b"\xff" * 9 + b"\x7f",
    "11-byte varint": tag(6, 0) + b"\xff" * 10 + b"\x01",
    "kind over 32 bits": tag(6, 0) + varint(2**32 + 3),
    "negative kind": tag(6, 0) + varint(-5),
    "overlong 5-byte tag": b"\xa8\x80\x80\x80\x00" + b"\x01",
    "6-byte tag": b"\xa8\x80\x80\x80\x80\x00" + b"\x01",
    "tag over 32 bits": b"\xf8\xff\xff\xff\x1f\x01",
    "largest field number": tag(2**29 - 1, 0) + b"\x01",
    "field number 0": b"\x00\x00",
    "wire type 6": tag(20, 6),
    "wire type 7": tag(20, 7),
    "stray end group": tag(20, 4),
    "mismatched end group": tag(20, 3) + tag(21, 4),
    "unterminated group": tag(20, 3) + tag(1, 0) + b"\x05",
    "known field as group": tag(15, 3) + tag(15, 4),
    "name as varint": tag(5, 0) + b"\x05",
    "kind as bytes": ld(6, b"\x01\x02"),
    "start as varint": tag(7, 0) + b"\x05",
    "flags fixed32": tag(16, 5) + b"\x01\x02\x03\x04",
    "truncated fixed64": tag(7, 1) + b"\x01\x02",
    "length past end": tag(5, 2) + varint(50) + b"abc",
    "huge length": tag(5, 2) + varint(2**63) + b"a",
    "5-byte length": tag(5, 2) + b"\x81\x80\x80\x80\x00" + b"a",
    "6-byte length": tag(5, 2) + b"\x81\x80\x80\x80\x80\x00" + b"a",
    "end group in status": ld(15, tag(20, 4)),
    "group crossing a message end": ld(15, tag(20, 3)) + tag(20, 4),
    "empty status": ld(15, b""),
    "status twice": ld(15, ld(2, b"first") + tag(3, 0) + b"\x02") + ld(15, ld(2, b"second")),
    "name twice": ld(5, b"first") + ld(5, b"second"),
    "ids last wins": ld(1, b"\x00" * 16) + ld(1, b"\x03" * 16) + ld(4, b"\x05" * 8),
    "zero parent": ld(4, bytes(8)),
    "bool over 1": ld(9, ld(1, b"b") + ld(2, tag(2, 0) + varint(2**40))),
    "oneof switches": ld(9, ld(1, b"o") + ld(2, ld(5, ld(1, ld(1, b"x"))) + ld(1, b"s") + ld(5, b""))),
    "value then key": ld(9, ld(2, tag(3, 0) + b"\x07") + ld(1, b"late-key")),
    "key twice": ld(9, ld(1, b"first") + ld(1, b"second") + ld(2, tag(3, 0) + b"\x01")),
    "key_strindex": ld(9, tag(3, 0) + b"\x05" + ld(1, b"k")),
    "attributes around events": ld(9, ld(1, b"a")) + ld(11, ld(2, b"ev")) + ld(9, ld(1, b"b")),
    "link ids last wins": ld(13, ld(1, bytes(16)) + ld(2, b"\x04" * 8) + ld(1, b"\x03" * 16)),
    "link ids last wins, last invalid": ld(13, ld(1, b"\x03" * 16) + ld(2, b"\x04" * 8) + ld(2, b"\x04" * 7)),
    "link trace_state twice": ld(13, ld(1, b"\x03" * 16) + ld(2, b"\x04" * 8) + ld(3, b"a=1") + ld(3, b"b=2")),
    "link attributes around ids": ld(13, ld(4, ld(1, b"a")) + ld(1, b"\x03" * 16) + ld(4, ld(1, b"b"))
                                      + ld(2, b"\x04" * 8)),
    "empty link": ld(13, b""),
    "link as varint": tag(13, 0) + b"\x01",
    "link flags and unknown fields": ld(13, ld(1, b"\x03" * 16) + ld(2, b"\x04" * 8) + tag(6, 5) + b"\x01\x02\x03\x04"
                                         + tag(5, 0) + b"\x09" + ld(40, b"\xff")),
    "dropped_links_count over 32 bits": tag(14, 0) + varint(2**32 + 7),
    "dropped_links_count twice": tag(14, 0) + b"\x05" + tag(14, 0) + b"\x02",
    "links around events": ld(13, ld(1, b"\x03" * 16) + ld(2, b"\x04" * 8)) + ld(11, ld(2, b"ev"))
                           + ld(13, ld(1, b"\x05" * 16) + ld(2, b"\x06" * 8)),
    "end group in link": ld(13, tag(20, 4)),
}


@pytest.mark.parametrize("case", sorted(WIRE_CASES))
def test_wire_format_edge_cases(case: str) -> None:
    check(with_span_bytes(WIRE_CASES[case]))


def test_scope_and_resource_may_follow_their_spans_and_repeat() -> None:
    span = one_span_request().resource_spans[0].scope_spans[0].spans[0].SerializeToString()
    scope_spans = ld(2, span) + ld(1, ld(1, b"first") + ld(2, b"v1")) + ld(2, span) + ld(1, ld(2, b"v2"))
    resource = ld(1, ld(1, b"service.name") + ld(2, ld(1, b"a")))
    resource_2 = ld(1, ld(1, b"host") + ld(2, ld(1, b"h")))
    body = ld(1, ld(2, scope_spans) + ld(1, resource) + ld(2, ld(2, span)) + ld(1, resource_2))
    ref = check(body)
    assert [s.scope_name for s in ref[0]] == ["first", "first", ""]
    assert ref[0][0].resource == {"service.name": "a", "host": "h"}


def test_spans_of_one_resource_share_its_dict() -> None:
    request = ExportTraceServiceRequest.FromString(batches(1, batch_size=6)[0])
    extra = ResourceSpans()
    extra.CopyFrom(request.resource_spans[0])
    request.resource_spans.append(extra)
    spans, _ = decode_trace_bytes(request.SerializeToString(), 64)
    assert spans[0].resource is spans[5].resource and spans[0].resource is not spans[6].resource
    assert spans[0].resource == spans[6].resource


@pytest.mark.parametrize("case", ["value twice", "array twice", "kvlist twice", "array in array twice"])
def test_merged_values_fall_back_to_upb(case: str) -> None:
    merges = {
        "value twice": ld(1, b"k") + ld(2, ld(1, b"a")) + ld(2, ld(5, ld(1, ld(1, b"b")))),
        "array twice": ld(1, b"k") + ld(2, ld(5, ld(1, ld(1, b"a"))) + ld(5, ld(1, tag(3, 0) + b"\x01"))),
        "kvlist twice": ld(1, b"k") + ld(2, ld(6, ld(1, ld(1, b"x"))) + ld(6, ld(1, ld(1, b"y")))),
        "array in array twice": ld(1, b"k") + ld(2, ld(5, ld(1, ld(5, b"") + ld(5, ld(1, b""))))),
    }
    body = with_span_bytes(ld(9, merges[case]))
    assert raw_native(body, 64) is None
    check(body, expect_native=False)


def test_rejections_match_including_reasons() -> None:
    bad = [Span(trace_id=bytes(16), span_id=b"\x01" * 8, name="zero trace"),
           Span(trace_id=b"\x01" * 15, span_id=b"\x01" * 8, name="short trace"),
           Span(trace_id=b"\x01" * 16, span_id=bytes(8), name="zero span " * 10),
           Span(trace_id=b"\x01" * 16, span_id=b"\x01" * 8, parent_span_id=b"\x01", name="parent"),
           Span(trace_id=b"\x01" * 16, span_id=b"\x01" * 8, name="old", start_time_unix_nano=5),
           Span(trace_id=b"\x01" * 16, span_id=b"\x01" * 8, name="future",
                start_time_unix_nano=NOW + 72 * HOUR, end_time_unix_nano=NOW + 73 * HOUR),
           Span(trace_id=b"\x01" * 16, span_id=b"\x01" * 8, name="'quoted' ü",
                start_time_unix_nano=NOW - HOUR, end_time_unix_nano=NOW - 2 * HOUR),
           Span(trace_id=b"\x01" * 16, span_id=b"\x01" * 8, name="long",
                start_time_unix_nano=NOW - 40 * 24 * HOUR, end_time_unix_nano=NOW - HOUR)]
    request = one_span_request()
    request.resource_spans[0].scope_spans[0].spans.extend(bad)
    ref = check(request.SerializeToString())
    assert len(ref[0]) == 1 and ref[1].count == 8 and len(ref[1].reasons) == 5
    assert "(and 3 more)" in ref[1].message


def test_oversized_input() -> None:
    huge = "ü" * 1_000_000
    request = one_span_request(name=huge, attributes=[_kv(f"k{i}", AnyValue(int_value=i)) for i in range(20_000)]
                               + [_kv("huge", AnyValue(string_value=huge)), _kv("b", AnyValue(bytes_value=b"\xff" * 300_000))])
    ref = check(request.SerializeToString(), 100)
    assert len(ref[0][0].attributes) == 20_002
    assert ref[0][0].attributes["huge"].endswith("…[truncated 999900 chars]")
    check(request.SerializeToString(), 5_000_000)


def test_empty_and_trivial_bodies() -> None:
    assert decode_trace_bytes(b"", 64) == ([], fastdecode.Rejections())
    check(b"")
    check(ld(1, b""))
    check(ld(1, ld(2, b"")))
    check(ld(1, ld(2, ld(2, b""))))  # one span with nothing set: refused for its ids


def test_without_the_extension_the_upb_path_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    body = batches(1, batch_size=20)[0]
    expected = decode_trace_bytes(body, 64)
    monkeypatch.setattr(fastdecode, "_fastotlp", None)
    spans, rejected = decode_trace_bytes(body, 64)
    assert snapshot(spans) == snapshot(expected[0]) and rejected == expected[1]
    with pytest.raises(BadRequest):
        decode_trace_bytes(b"\xff", 64)


def test_negative_max_chars_takes_the_reference_path() -> None:
    body = one_span_request(name="abcdef").SerializeToString()
    spans, _ = decode_trace_bytes(body, -2)
    assert spans[0].name == decode_upb(body, -2)[0][0].name == "abcd…[truncated 8 chars]"


def test_direct_slot_construction_equals_the_dataclass_init() -> None:
    assert fastdecode.slot_fields(fastdecode.RawSpan) is not None
    from dataclasses import dataclass

    @dataclass(slots=True)
    class WithPostInit:
        a: int

        def __post_init__(self) -> None:
            self.a += 1

    assert fastdecode.slot_fields(WithPostInit) is None
    assert fastdecode.slot_fields(dict) is None


def test_no_references_leak_on_any_path() -> None:
    """Valid, refused and fallen-back bodies, over and over: the heap must not grow with the count."""
    bodies = [batches(1, batch_size=8)[0], _sample_body(1), with_span_bytes(ld(9, ld(2, ld(1, b"\xff"))))]
    bodies += [with_span_bytes(case) for case in WIRE_CASES.values()]
    bodies += [STRING_FIELDS[where](bad) for where in STRING_FIELDS for bad in BAD_UTF8[:2]]
    bodies += [with_span_bytes(ld(9, ld(1, b"k") + ld(2, nested_bytes(arrays, 1)))) for arrays in (10, 60)]
    bodies += [with_span_bytes(ld(9, ld(1, b"k") + ld(2, ld(6, ld(1, b"")) + ld(6, b""))))]  # fallback
    bodies += [_sample_body(i)[:cut] for i in range(5) for cut in (7, 50, 120)]

    def run(rounds: int) -> None:
        for _ in range(rounds):
            for body in bodies:
                try:
                    raw_native(body, 8)
                except ValueError:
                    pass

    run(20)
    before = sys.getallocatedblocks()
    run(300)
    assert sys.getallocatedblocks() - before < 200


def test_limits_beyond_any_string_and_other_buffers() -> None:
    body = one_span_request(name="x" * 100).SerializeToString()
    for limit in (2**63, 2**80):
        spans, _ = decode_trace_bytes(body, limit)
        assert snapshot(spans) == snapshot(decode_upb(body, limit)[0])
    assert snapshot(decode_trace_bytes(memoryview(body), 5)[0]) == snapshot(decode_upb(body, 5)[0])
    assert snapshot(decode_trace_bytes(bytearray(body), 5)[0]) == snapshot(decode_upb(body, 5)[0])


def field_paths(desc: Any, seen: tuple[str, ...] = ()) -> list[list[FieldDescriptor]]:
    """Every chain of fields from ``desc`` down to a string or bytes field (each message type twice at most)."""
    out: list[list[FieldDescriptor]] = []
    for fd in desc.fields:
        if fd.type in (fd.TYPE_STRING, fd.TYPE_BYTES):
            out.append([fd])
        elif fd.message_type is not None and seen.count(fd.message_type.full_name) < 2:
            out += [[fd, *rest] for rest in field_paths(fd.message_type, (*seen, fd.message_type.full_name))]
    return out


def test_every_string_field_of_the_schema_is_checked_and_no_bytes_field_is() -> None:
    paths = field_paths(ExportTraceServiceRequest.DESCRIPTOR)
    assert len(paths) > 60
    for path in paths:
        for payload in (b"\xff\xfe", b"ok"):
            body = ld(path[-1].number, payload)
            for fd in reversed(path[:-1]):
                body = ld(fd.number, body)
            refused = check(body) is None
            assert refused == (payload != b"ok" and path[-1].type == FieldDescriptor.TYPE_STRING), path
