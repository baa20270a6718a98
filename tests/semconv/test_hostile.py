"""Hostile and malformed input: the row is always produced; bad values are dropped or kept in attributes."""

from __future__ import annotations

import json
import math

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genlens.semconv import _plan as plan_mod
from genlens.semconv import normalize as normalize_mod
from genlens.semconv._plan import KEYMAP
from genlens.semconv.model import RawEvent, RawLog, RawSpan
from genlens.semconv.normalize import content_from_logs, normalize_span

from .helpers import check_row, norm, raw_span


def test_wrong_typed_tokens_are_kept_not_counted():
    attrs = {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": "12", "gen_ai.usage.output_tokens": -5,
             "gen_ai.usage.cache_read.input_tokens": 10**30, "gen_ai.usage.reasoning.output_tokens": True,
             "llm.token_count.prompt": 3.5, "gen_ai.usage.total_tokens": float("nan"),
             "gen_ai.request.temperature": "hot", "gen_ai.request.max_tokens": 2.0}
    row, _ = norm(attrs)
    assert row["input_tokens"] == 12  # a decimal string is a count
    assert (row["output_tokens"], row["cache_read_tokens"], row["reasoning_tokens"]) == (None, None, None)
    assert (row["temperature"], row["max_tokens"], row["total_tokens"]) == (None, 2, 12)
    kept = row["attributes"]
    assert kept["gen_ai.usage.output_tokens"] == -5
    assert kept["gen_ai.usage.cache_read.input_tokens"] == str(10**30)  # JSON-safe: beyond int64 becomes text
    assert kept["gen_ai.usage.reasoning.output_tokens"] is True
    assert kept["llm.token_count.prompt"] == 3.5 and kept["gen_ai.request.temperature"] == "hot"
    assert math.isnan(kept["gen_ai.usage.total_tokens"])
    orjson.dumps(row["attributes"])  # the store can write it


def test_malformed_messages_json_is_kept_as_raw_content():
    row, records = normalize_span(raw_span({
        "gen_ai.operation.name": "chat", "gen_ai.input.messages": '[{"role": "user", "parts": [',
        "gen_ai.output.messages": "42", "gen_ai.system_instructions": 17}))
    check_row(row)
    got = sorted((r.kind, r.source, repr(r.data)) for r in records)
    assert got == [("input_value", "otel.attributes.malformed", "'[{\"role\": \"user\", \"parts\": ['"),
                   ("input_value", "otel.attributes.malformed", "17"),
                   ("output_value", "otel.attributes.malformed", "'42'")]
    assert row["attributes"] is None  # content never leaks into the skeleton row


def test_messages_with_wrong_shapes_inside():
    msgs = [None, 5, "loose text", {"role": 7, "parts": [None, 3, "x", {"type": "tool_call", "arguments": "{bad"}]},
            {"content": [{"type": "text", "text": "hi"}, None, 9, {"weird": True}]}, {"parts": "notalist"}]
    row, content = norm({"gen_ai.operation.name": "chat", "gen_ai.input.messages": json.dumps(msgs)})
    assert content["input_messages"] == [
        {"role": "user", "parts": [{"type": "text", "content": 3}, {"type": "text", "content": "x"},
                                   {"type": "tool_call", "arguments": "{bad"}]},
        {"role": "user", "parts": [{"type": "text", "content": "hi"}, {"type": "text", "content": 9},
                                   {"weird": True}]},
        {"role": "user", "parts": []},
    ]


def test_unhashable_and_odd_finish_reasons_in_messages():
    msgs = [{"role": "assistant", "parts": [], "finish_reason": ["stop"]},
            {"role": "assistant", "parts": [], "finish_reason": {"x": 1}},
            {"role": "assistant", "parts": [], "finish_reason": None},
            {"role": "assistant", "parts": [], "finish_reason": "TOOL_CALLS"}]
    row, content = norm({"gen_ai.operation.name": "chat", "gen_ai.output.messages": json.dumps(msgs)})
    assert [m.get("finish_reason") for m in content["output_messages"]] == [None, None, None, "tool_call"]
    assert row["finish_reasons"] == ["tool_call"]


def test_kvlist_and_bytes_values():
    attrs = {"gen_ai.operation.name": "chat", "gen_ai.request.model": b"\x00\xffmodel", "blob": b"\x01\x02",
             "nested": {"a": [b"\x03", {"b": 1}], "c": None}, "gen_ai.input.messages": [
                 {"role": "user", "parts": [{"type": "blob", "modality": "image", "content": b"\x89PNG"}]}],
             "llm.input_messages.0.message.content": b"raw", "gen_ai.request.stop_sequences": [b"x", "y"]}
    row, records = normalize_span(raw_span(attrs))
    check_row(row)
    assert row["request_model"] is None and row["attributes"]["gen_ai.request.model"] == "AP9tb2RlbA=="
    assert row["attributes"]["blob"] == "AQI=" and row["attributes"]["nested"] == {"a": ["Aw==", {"b": 1}], "c": None}
    assert row["request_params"] == {"stop_sequences": ["eA==", "y"]}
    msgs = {r.kind: r.data for r in records}["input_messages"]
    assert msgs[0]["parts"][0]["content"] == "iVBORw=="
    for r in records:
        orjson.dumps(r.data)
    orjson.dumps({k: v for k, v in row.items()})


def test_oversized_ints_in_flattened_content():
    _, records = normalize_span(raw_span({"gen_ai.prompt.0.content": 10**30, "gen_ai.prompt.0.role": "user",
                                          "retrieval.documents.0.document.score": -(10**25)}))
    data = {r.kind: r.data for r in records}
    assert data["input_messages"] == [{"role": "user", "parts": [{"type": "text", "content": str(10**30)}]}]
    assert data["documents"] == [{"score": str(-(10**25))}]
    for r in records:
        orjson.dumps(r.data)


def test_hostile_structure_and_sizes():
    deep: object = "leaf"
    for _ in range(5000):
        deep = [deep]
    huge_index = {f"gen_ai.prompt.{i}.content": "x" for i in range(0, 3000, 7)}
    attrs = {"deep": deep, "gen_ai.input.messages": "[" * 5000 + "]" * 5000,
             "gen_ai.prompt.9999999.content": "too big an index", **huge_index,
             "llm.input_messages.0.message.contents.99999999.message_content.text": "bad nested index",
             "gen_ai.prompt": "[{'role': 'user', 'content': " + "(" * 3000 + "}]",
             "": "empty key", ".": "dot", "gen_ai.": "prefix only", "gen_ai.prompt.": "family prefix only"}
    row, records = normalize_span(raw_span(attrs, events=[
        RawEvent("gen_ai.content.prompt", 1, {"gen_ai.prompt": "(" * 100_000}),
        RawEvent("gen_ai.choice", 2, {"index": "x", "message": "nope"}),
        RawEvent("gen_ai.user.message", 3, "not a dict")]))  # type: ignore[arg-type]
    check_row(row)
    assert len([d for r in records if r.kind == "input_messages" for d in r.data]) == len(huge_index)
    assert row["attributes"]["gen_ai.prompt.9999999.content"] == "too big an index"
    assert row["attributes"][""] == "empty key"
    orjson.dumps(row["attributes"])


def test_bad_span_envelope():
    raw = RawSpan("t", "s", "", "", 0, 10, 5, 99, "", {"gen_ai.operation.name": "chat"}, [], "notadict", "")  # type: ignore[arg-type]
    row, _ = normalize_span(raw)
    assert (row["duration_ns"], row["status"], row["parent_span_id"], row["service_name"]) == (None, "unset", None, None)
    assert row["resource_attributes"] is None


def test_hostile_logs():
    logs = [RawLog(0, "t", "s", "gen_ai.user.message", b"\x00", {}, {}),
            RawLog(0, "t", "s", "gen_ai.choice", {"index": None, "message": [1, 2]}, {}, {}),
            RawLog(0, "t", "s", "gen_ai.client.inference.operation.details", "{bad", {"gen_ai.input.messages": 5}, {}),
            RawLog(0, "t", "s", "", None, "notadict", {}),  # type: ignore[arg-type]
            RawLog(0, None, "s", "gen_ai.user.message", {"content": "no trace"}, {}, {})]
    recs = content_from_logs(logs)
    assert [(r.kind, r.data) for r in recs] == [("output_messages", [{"role": "assistant", "parts": []}])] or all(
        r.trace_id == "t" for r in recs)


def test_plan_cache_is_bounded():
    before = normalize_mod.stats()
    for i in range(plan_mod.PLANS_MAX + 5):
        normalize_span(raw_span({f"k{i}": 1, "gen_ai.operation.name": "chat"}))
    after = normalize_mod.stats()
    assert after["plans_cached"] <= plan_mod.PLANS_MAX
    assert after["plan_cache_resets"] >= before["plan_cache_resets"] + 1
    wide = {f"custom.{i}": i for i in range(plan_mod.PLAN_MAX_KEYS + 1)}
    row, _ = normalize_span(raw_span(wide))
    assert row["attributes"] == wide  # served, but its shape is not kept
    assert normalize_mod.stats()["uncached_plans"] == after["uncached_plans"] + 1


_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                     st.floats(allow_nan=True), st.text(max_size=40), st.binary(max_size=16),
                     st.sampled_from(["chat", "LLM", "tool", "[]", "{}", '[{"role":"user"}]', "tool_calls", "-1",
                                      "12", '{"a": [1, 2]}', "AGENT", "workflow", "Anthropic", "null"]))
_values = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                       max_leaves=12)
_known = sorted(KEYMAP)
_families = ["llm.input_messages.", "llm.output_messages.", "gen_ai.prompt.", "gen_ai.completion.", "llm.prompts.",
             "retrieval.documents.", "llm.tools.", "llm.choices.", "llm.completions.", "gen_ai.aggregated_usage.",
             "embedding.embeddings.", "reranker.output_documents.", "llm.request.functions."]
_suffixes = st.sampled_from(["0.message.role", "1.message.content", "0.message.tool_calls.0.tool_call.id",
                             "0.message.contents.1.message_content.text", "2.role", "0.content", "x.y", "0",
                             "0.tool_calls.x.id", "3.document.id", "00.role", "1.finish_reason",
                             "0.embedding.vector", "1.embedding.text", "0.name", "0.parameters"])
_keys = st.one_of(st.sampled_from(_known), st.text(max_size=30),
                  st.builds(lambda p, s: p + s, st.sampled_from(_families), _suffixes))
_events = st.lists(st.builds(RawEvent, st.sampled_from(
    ["exception", "gen_ai.content.prompt", "gen_ai.choice", "gen_ai.user.message", "x",
     "gen_ai.client.inference.operation.details"]), st.integers(0, 10),
    st.dictionaries(st.sampled_from(["gen_ai.prompt", "exception.type", "content", "index", "message",
                                     "gen_ai.input.messages", "x"]), _values, max_size=3)), max_size=3)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(attrs=st.dictionaries(_keys, _values, max_size=25), events=_events,
       resource=st.dictionaries(st.sampled_from(["service.name", "tenant.id", "app.llm.tenant.id",
                                                 "deployment.environment"]), _values, max_size=3),
       status=st.integers(-1, 3))
def test_normalize_never_raises(attrs, events, resource, status):
    row, records = normalize_span(raw_span(attrs, events=events, resource=resource, status=status))
    check_row(row)
    orjson.dumps(row, option=orjson.OPT_SERIALIZE_NUMPY)  # every value JSON-safe for the store
    for r in records:
        orjson.dumps(r.data)
        assert r.kind in ("input_messages", "output_messages", "system_instructions", "tool_definitions",
                          "tool_arguments", "tool_result", "documents", "input_value", "output_value")
    # nothing thrown away: every attribute is in a column, a content record, or attributes
    assert set(row["attributes"] or {}) <= set(attrs)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.builds(RawLog, st.integers(0, 5), st.sampled_from([None, "t"]), st.sampled_from([None, "", "s", "s2"]),
                          st.sampled_from(["gen_ai.system.message", "gen_ai.user.message", "gen_ai.assistant.message",
                                           "gen_ai.tool.message", "gen_ai.choice", "", "other",
                                           "gen_ai.client.inference.operation.details"]),
                          _values, st.dictionaries(st.sampled_from(["event.name", "gen_ai.input.messages",
                                                                    "gen_ai.system_instructions"]), _values, max_size=2),
                          st.just({})), max_size=8))
def test_content_from_logs_never_raises(logs):
    for r in content_from_logs(logs):
        assert r.trace_id == "t" and r.span_id in ("s", "s2")
        assert r.kind in ("input_messages", "output_messages", "system_instructions")
        orjson.dumps(r.data)


@settings(max_examples=150, deadline=None)
@given(custom=st.dictionaries(st.text(max_size=12).map(lambda s: "custom." + s), _values, max_size=10),
       known=st.dictionaries(st.sampled_from(_known), _values, max_size=10))
def test_unknown_attributes_are_never_lost(custom, known):
    from genlens.semconv._convert import jsonable

    row, _ = normalize_span(raw_span({**known, **custom}))
    kept = row["attributes"] or {}
    for key, value in custom.items():
        assert key in kept
        assert orjson.dumps(kept[key]) == orjson.dumps(jsonable(value), option=orjson.OPT_NON_STR_KEYS) or (
            isinstance(value, float) and math.isnan(value))


_json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False,
                          allow_infinity=False), st.text(max_size=10),
                          st.sampled_from(["text", "tool_call", "tool_call_response", "stop", "tool_calls",
                                           "user", "assistant", "tool", "{\"a\": 1}", "[1, 2]"]))
_json_values = st.recursive(_json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(
        ["role", "parts", "type", "content", "finish_reason", "arguments", "id", "name", "response", "result",
         "tool_calls", "function", "tool_call_id", "text", "image_url", "input", "tool_use_id", "x"]),
        inner, max_size=5)), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["gen_ai.input.messages", "gen_ai.output.messages",
                                        "gen_ai.system_instructions", "gen_ai.tool.call.arguments",
                                        "llm.input_messages", "gen_ai.tool.definitions"]),
                       st.one_of(_json_values.map(json.dumps), _json_values), max_size=4))
def test_message_shaped_garbage_never_raises(attrs):
    row, records = normalize_span(raw_span({"gen_ai.operation.name": "chat", **attrs}))
    check_row(row)
    for r in records:
        orjson.dumps(r.data)
        if r.kind in ("input_messages", "output_messages"):
            assert all(type(m) is dict and type(m["role"]) is str and type(m["parts"]) is list for m in r.data)
