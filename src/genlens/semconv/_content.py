"""Content records of one span: messages, tool arguments/results, documents, raw input/output.

One source per content kind: span attributes in JSON form first (the highest
priority convention that carried them), then flattened families, then span
events.  A duplicate of the same kind from a lower-priority convention is
dropped (it is the same content, and content must never land in the skeleton
row).  A value that cannot be read as messages is not lost: it is stored as
the span's raw ``input_value``/``output_value``.
"""

from __future__ import annotations

from typing import Any

from genlens.semconv import genlens_ctx, openinference, openllmetry, otel_genai
from genlens.semconv._convert import json_or_raw, jsonable, parse_json
from genlens.semconv._flat import Group
from genlens.semconv._messages import instructions, messages
from genlens.semconv.model import CONTENT_KINDS, ContentRecord, RawSpan

_KEY_SOURCE: dict[str, str] = {
    **{k[0]: "genlens" for k in genlens_ctx.KEYS},
    **{k[0]: "otel.attributes" for k in otel_genai.KEYS},
    **{k[0]: "openinference" for k in openinference.KEYS},
    **{k[0]: "openllmetry" for k in openllmetry.KEYS},
}
_FAMILY: dict[str, tuple[str, Any, str]] = {
    **{p: (kind, openinference.parse_family, "openinference") for p, kind in openinference.FAMILIES.items()},
    **{p: (kind, openllmetry.parse_family, "openllmetry") for p, kind in openllmetry.FAMILIES.items()},
}
_JSON_MIME = "application/json"
_ORDER = {k: i for i, k in enumerate(CONTENT_KINDS)}


def _value(v: Any, key: str, got: dict[str, tuple[int, Any, str]], mime_slot: str) -> Any:
    """``input.value``/``output.value``: parsed when declared JSON (or from Traceloop, always JSON)."""
    mime = got.get(mime_slot)
    if key.startswith("traceloop.") or (mime is not None and mime[1] == _JSON_MIME):
        return json_or_raw(v)
    return jsonable(v)


def span_content(raw: RawSpan, row: dict[str, Any], got: dict[str, tuple[int, Any, str]],
                 content_slots: tuple[str, ...], rest: dict[str, Any], fams: dict[str, list[Group]] | None,
                 event_records: list[ContentRecord]) -> list[ContentRecord]:
    """Build the content records; unreadable leftovers of flattened families go to ``rest``."""
    attrs = raw.attributes
    found: dict[str, tuple[Any, str]] = {}
    extra: list[tuple[str, Any, str]] = []
    for slot in content_slots:
        hit = got.get(slot)
        if hit is None:  # present but unusable (None)
            continue
        _, v, key = hit
        if type(v) is not str:
            v = jsonable(v)  # structured (kvlist/array) values may hold bytes or oversized ints
        kind = slot[2:]
        source = _KEY_SOURCE.get(key, "attributes")
        if kind == "input_messages" or kind == "output_messages":
            data = messages(v, "user" if kind == "input_messages" else "assistant")
            if data is None:
                extra.append(("input_value" if kind == "input_messages" else "output_value", jsonable(v), source))
                continue
            if not data:  # an empty list: nothing to store
                continue
        elif kind == "system_instructions":
            data = instructions(v)
            if data is None:
                extra.append(("input_value", jsonable(v), source))
                continue
        elif kind == "tool_definitions" or kind == "documents":
            data = parse_json(v) if type(v) is str else jsonable(v)
            if data is None:
                data = v
        elif kind == "input_value":
            data = _value(v, key, got, "x:input_mime")
        elif kind == "output_value":
            data = _value(v, key, got, "x:output_mime")
        else:
            data = json_or_raw(v)
        found[kind] = (data, source)
    for mime_slot, value_kind in (("x:input_mime", "input_value"), ("x:output_mime", "output_value")):
        if mime_slot in got and value_kind not in found:
            key = got[mime_slot][2]
            rest[key] = attrs[key]
    if fams:
        leftover: list[tuple[str, Any]] = []
        for prefix, groups in fams.items():
            kind, parse, source = _FAMILY[prefix]
            if prefix == openinference.EMBEDDINGS and "output_value" not in found:
                vectors = openinference.embedding_vectors(groups)
                if vectors:
                    found["output_value"] = (vectors, source)
            if kind not in found:
                data = parse(prefix, groups, leftover)
                if data:
                    found[kind] = (data, source)  # leaves were made JSON-safe before materializing
        for key, v in leftover:
            rest[key] = jsonable(v)
    if row["kind"] == "tool":
        if "tool_arguments" not in found and "input_value" in found:
            found["tool_arguments"] = found.pop("input_value")
        if "tool_result" not in found and "output_value" in found:
            found["tool_result"] = found.pop("output_value")
    for rec in event_records:
        if rec.kind not in found:
            found[rec.kind] = (rec.data, rec.source)
    if row["finish_reasons"] is None and "output_messages" in found:
        reasons = [r for r in (m.get("finish_reason") for m in found["output_messages"][0]) if type(r) is str]
        row["finish_reasons"] = reasons or None
    tid, sid = raw.trace_id, raw.span_id
    out = [ContentRecord(tid, sid, k, found[k][0], found[k][1]) for k in sorted(found, key=_ORDER.__getitem__)]
    out.extend(ContentRecord(tid, sid, k, d, s + ".malformed") for k, d, s in extra)
    return out
